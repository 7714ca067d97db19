// `vision train` / `vision evaluate` end to end on the real Fashion-MNIST images shipped in
// Datasets/fashion-mnist-small: accuracy reached, exact resume after Ctrl-C, and every bad input
// ending in a message rather than a crash or a lost checkpoint.

import Foundation
import Testing
import SwiftVision
import TestSupport

enum TrainFixture {
    static let root = repositoryRoot.appendingPathComponent("Datasets/fashion-mnist-small").path

    /// A small copy of the training folder: the first `perClass` images of `classes` classes.
    static func subset(_ name: String, classes: Int = 3, perClass: Int = 30) throws -> String {
        let out = CLIFixture.directory + "/" + name
        try? FileManager.default.removeItem(atPath: out)
        let source = root + "/train"
        for cls in try FileManager.default.contentsOfDirectory(atPath: source).sorted().prefix(classes) {
            try FileManager.default.createDirectory(atPath: out + "/" + cls, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: source + "/" + cls).sorted().prefix(perClass) {
                try FileManager.default.copyItem(atPath: source + "/" + cls + "/" + file, toPath: out + "/" + cls + "/" + file)
            }
        }
        return out
    }

    /// The common flags of the small runs: gray 28×28 small_cnn, plain progress lines.
    static let smallRun = ["--channels", "1", "--image-size", "28", "--batch-size", "16", "--lr", "0.05",
                           "--mean", "0.286", "--std", "0.353", "--plain", "--workers", "2"]

    /// The model tensors of a checkpoint (training state left out).
    static func weights(_ path: String) throws -> [String: [Float]] {
        let checkpoint = try TrainingCheckpoint.load(path)
        return Dictionary(uniqueKeysWithValues: checkpoint.model.entries.map { ($0.name, $0.tensor.scalars) })
    }
}

@Suite(.serialized) struct CLITrainTests {
    @Test func trainEvaluateClassifyOnRealImages() throws {
        let out = CLIFixture.directory + "/fashion.safetensors"
        let train = try VisionProcess.run(["train", "--data", TrainFixture.root + "/train", "--epochs", "3", "--out", out]
                                          + TrainFixture.smallRun, visionHome: CLIFixture.home("train"))
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("epoch 3: train loss"), "\(train.stdout)")
        let metrics = try MetricsLog.read(out + ".metrics.jsonl")
        #expect(metrics.map(\.epoch) == [1, 2, 3])
        #expect(metrics.last!.trainLoss < metrics.first!.trainLoss, "loss must fall: \(metrics.map(\.trainLoss))")

        // Stated accuracy: ≥ 75% top-1 on the 500 held-out test images after 3 epochs on 2000 (82.6% seen).
        let evaluation = try VisionProcess.run(["evaluate", "--data", TrainFixture.root + "/test", "--weights", out, "--json",
                                                "--confusion-png", CLIFixture.directory + "/confusion.png"],
                                               visionHome: CLIFixture.home("train"))
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let result = try JSONDecoder().decode(EvaluationResult.self, from: Data(evaluation.stdout.utf8))
        #expect(result.samples == 500)
        #expect(result.top1 >= 0.75, "top-1 \(result.top1)")
        #expect(result.top5 >= result.top1)
        #expect(result.confusionMatrix.count == 10 && result.confusionMatrix.joined().reduce(0, +) == 500)
        let png = try Image(contentsOf: CLIFixture.directory + "/confusion.png")
        #expect(png.width > 0 && png.height == png.width)

        // The saved model classifies a held-out image of an easy class from the file alone.
        let trouser = TrainFixture.root + "/test/Trouser"
        let image = trouser + "/" + (try FileManager.default.contentsOfDirectory(atPath: trouser).sorted().first!)
        let classify = try VisionProcess.run(["classify", "--weights", out, "--json", "--topk", "1", image], visionHome: CLIFixture.home("train"))
        #expect(classify.status == 0, "\(classify.stderr)")
        let top = try CLIFixture.parseLines(classify.stdout).first?["top"] as? [[String: Any]]
        #expect(top?.first?["label"] as? String == "Trouser", "\(classify.stdout)")

        // --max-image-pixels: images above it are refused before decoding, named, with the limit.
        let limited = try VisionProcess.run(["classify", "--weights", out, "--max-image-pixels", "700", image],
                                            visionHome: CLIFixture.home("train"))
        #expect(limited.status == 1, "\(limited.stderr)")
        #expect(limited.stderr.contains(image) && limited.stderr.contains("28x28 pixels exceeds the limit of 700"), "\(limited.stderr)")
        let strictEvaluation = try VisionProcess.run(["evaluate", "--data", TrainFixture.root + "/test", "--weights", out, "--strict",
                                                      "--max-image-pixels", "700"], visionHome: CLIFixture.home("train"))
        #expect(strictEvaluation.status != 0)
        #expect(strictEvaluation.stderr.contains("28x28 pixels exceeds the limit of 700"), "\(strictEvaluation.stderr)")
        for command in ["classify", "evaluate"] {
            let zero = try VisionProcess.run([command, "--weights", out, "--max-image-pixels", "0"]
                                             + (command == "evaluate" ? ["--data", TrainFixture.root + "/test"] : [image]),
                                             visionHome: CLIFixture.home("train"))
            #expect(zero.status != 0 && zero.stderr.contains("--max-image-pixels must be at least 1"), "\(command): \(zero.stderr)")
        }
    }

    @Test func resumeAfterInterruptEqualsUninterruptedRun() throws {
        let data = try TrainFixture.subset("resume-data")
        let args = ["train", "--data", data, "--epochs", "12"] + TrainFixture.smallRun
        let whole = CLIFixture.directory + "/whole.safetensors"
        let uninterrupted = try VisionProcess.run(args + ["--out", whole], visionHome: CLIFixture.home("resume"))
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // The same run, stopped by SIGINT once its first epoch is written, then resumed.
        let part = CLIFixture.directory + "/part.safetensors"
        try? FileManager.default.removeItem(atPath: part + ".metrics.jsonl")
        let process = Process()
        process.executableURL = VisionProcess.binary
        process.arguments = args + ["--out", part]
        process.currentDirectoryURL = repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if let text = try? String(contentsOfFile: part + ".metrics.jsonl", encoding: .utf8), !text.isEmpty { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "an interrupted run exits with 130")
        let stopped = try TrainingCheckpoint.load(part)
        let state = try #require(stopped.trainState)
        #expect(state.epoch >= 1 && state.epoch < 12, "stopped at epoch \(state.epoch) batch \(state.batch)")

        let resumed = try VisionProcess.run(args + ["--out", part, "--resume", part], visionHome: CLIFixture.home("resume"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming"), "\(resumed.stdout)")
        let a = try TrainFixture.weights(whole), b = try TrainFixture.weights(part)
        #expect(a.keys.sorted() == b.keys.sorted())
        for (key, values) in a { #expect(values == b[key], "\(key) differs after resume") }
    }

    @Test func badInputsGiveClearMessagesAndKeepCheckpoints() throws {
        let home = CLIFixture.home("bad-train")
        let data = try TrainFixture.subset("bad-data", classes: 2, perClass: 10)
        // A corrupt image is skipped with a warning and counted; --strict stops on it, naming it.
        let corrupt = data + "/" + (try FileManager.default.contentsOfDirectory(atPath: data).sorted().first!) + "/zz-corrupt.png"
        _ = FileManager.default.createFile(atPath: corrupt, contents: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))
        let out = CLIFixture.directory + "/bad.safetensors"
        let skipped = try VisionProcess.run(["train", "--data", data, "--epochs", "1", "--out", out] + TrainFixture.smallRun, visionHome: home)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("zz-corrupt.png") && skipped.stderr.contains("skipped 1 unreadable image"), "\(skipped.stderr)")
        let strict = try VisionProcess.run(["train", "--data", data, "--epochs", "1", "--strict", "--out", CLIFixture.directory + "/strict.safetensors"]
                                           + TrainFixture.smallRun, visionHome: home)
        #expect(strict.status != 0 && strict.stderr.contains("zz-corrupt.png"), "\(strict.stderr)")
        try FileManager.default.removeItem(atPath: corrupt)

        // No class folders; a class folder without images.
        let empty = CLIFixture.directory + "/no-classes"
        try? FileManager.default.removeItem(atPath: empty)
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let noClasses = try VisionProcess.run(["train", "--data", empty, "--out", out] + TrainFixture.smallRun, visionHome: home)
        #expect(noClasses.status != 0 && noClasses.stderr.contains(empty) && noClasses.stderr.contains("class"), "\(noClasses.stderr)")
        try FileManager.default.createDirectory(atPath: data + "/zz-empty-class", withIntermediateDirectories: true)
        let emptyClass = try VisionProcess.run(["train", "--data", data, "--out", out] + TrainFixture.smallRun, visionHome: home)
        #expect(emptyClass.status != 0 && emptyClass.stderr.contains("zz-empty-class"), "\(emptyClass.stderr)")
        try FileManager.default.removeItem(atPath: data + "/zz-empty-class")

        // An --out that cannot be written fails before any training.
        let unwritable = try VisionProcess.run(["train", "--data", data, "--out", "/proc/no-such-dir/model.safetensors"] + TrainFixture.smallRun,
                                               visionHome: home)
        #expect(unwritable.status != 0 && unwritable.stderr.contains("/proc/no-such-dir/model.safetensors"), "\(unwritable.stderr)")
        #expect(!unwritable.stdout.contains("epoch 1"), "must fail before training")

        // Resuming from another architecture's checkpoint: a message, and the file is untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let wrongModel = try VisionProcess.run(["train", "--data", data, "--model", "resnet18", "--resume", out, "--out", out]
                                               + TrainFixture.smallRun, visionHome: home)
        #expect(wrongModel.status != 0 && wrongModel.stderr.contains(out) && wrongModel.stderr.contains("small_cnn"), "\(wrongModel.stderr)")
        let wrongFile = try VisionProcess.run(["classify", "--model", "resnet18", "--weights", out, "Datasets/samples/chelsea.jpg"], visionHome: home)
        #expect(wrongFile.status != 0 && wrongFile.stderr.contains(out), "\(wrongFile.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "a failed resume must not touch the checkpoint")
    }
}

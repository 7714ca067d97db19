// `vision train` when killed, when run twice on one output and when given bad data or options
// (issue 14): a kill -9 at the moment a checkpoint's temporary file appears, ten times over, then
// a resume, ends with no stray file, a metrics file that lists each epoch once and equals the
// checkpoint's record, and the weights of an uninterrupted run; every bad input exits non-zero with
// a message naming the file or option, and leaves an existing checkpoint as it was.

import Foundation
import Testing
import SwiftVision
import TestSupport

@Suite(.serialized) struct CLIReliabilityTests {
    /// A fresh directory under this run's scratch directory.
    static func directory(_ name: String) throws -> String {
        let path = CLIFixture.directory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts `vision` with `arguments`, output discarded.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = VisionProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func names(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test func killedWhileSavingTenTimesThenResumedLosesNothing() throws {
        let data = try TrainFixture.subset("kill-data", classes: 3, perClass: 20)
        let dir = try Self.directory("kill")
        let epochs = 40  // enough that ten rounds, each moving the run on by one epoch or more, cannot finish it
        let args = ["train", "--data", data, "--epochs", String(epochs)] + TrainFixture.smallRun
        let whole = dir + "/whole.safetensors"
        let uninterrupted = try VisionProcess.run(args + ["--out", whole], visionHome: CLIFixture.home("kill"))
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        let out = dir + "/run.safetensors"
        let temporaryStem = ".run.safetensors.tmp-"
        var kills = 0, launches = 0, leftBehind = 0
        while kills < 10 && launches < 20 {
            launches += 1
            let resuming = FileManager.default.fileExists(atPath: out)
            let process = try Self.start(args + ["--out", out] + (resuming ? ["--resume", out] : []))
            // Let this process's first save finish (so every round moves the run on), then kill -9
            // it the moment the temporary file of its next save appears.
            let own = temporaryStem + "\(process.processIdentifier)-"
            var appearances = 0, present = false
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline {
                let now = Self.names(dir).contains { $0.hasPrefix(own) }
                if now && !present {
                    appearances += 1
                    if appearances == 2 { kill(process.processIdentifier, SIGKILL); break }
                }
                present = now
                usleep(100)
            }
            process.waitUntilExit()
            guard process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL else {
                Issue.record("round \(launches) was not killed: exit \(process.terminationStatus) after \(appearances) saves")
                break
            }
            kills += 1
            // Almost always the temporary is still there (a rename can slip in between seeing it and the kill).
            if Self.names(dir).contains(where: { $0.hasPrefix(own) }) { leftBehind += 1 }
            if let state = try? TrainingCheckpoint.load(out).trainState {
                #expect(state.epoch < epochs && state.batch == 0 && state.history?.count == state.epoch)
            }
        }
        #expect(kills >= 10)
        #expect(leftBehind >= 1, "at least one kill left a temporary file for the next run to remove")

        let resumed = try VisionProcess.run(args + ["--out", out, "--resume", out], visionHome: CLIFixture.home("kill"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(Self.names(dir).filter { $0.hasPrefix(".") } == [], "no temporary or lock file remains: \(Self.names(dir))")
        let lines = try MetricsLog.read(out + ".metrics.jsonl")
        #expect(lines.map(\.epoch) == Array(1...epochs), "each epoch once: \(lines.map(\.epoch))")
        let record = try #require(try TrainingCheckpoint.load(out).trainState?.history)
        #expect(lines == record, "the metrics file equals the checkpoint's record")
        let a = try TrainFixture.weights(whole), b = try TrainFixture.weights(out)
        #expect(a.keys.sorted() == b.keys.sorted())
        for (key, values) in a { #expect(values == b[key], "\(key) differs from the uninterrupted run") }
        #expect(lines.map(\.trainLoss) == (try MetricsLog.read(whole + ".metrics.jsonl")).map(\.trainLoss))
    }

    @Test func secondWriterOfTheSameOutIsRefused() throws {
        let data = try TrainFixture.subset("lock-data", classes: 2, perClass: 16)
        let dir = try Self.directory("lock")
        let out = dir + "/run.safetensors"
        let args = ["train", "--data", data, "--epochs", "500", "--out", out] + TrainFixture.smallRun
        let first = try Self.start(args)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let lock = FileLock.lockPath(for: out)
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && Date() < deadline && !((try? String(contentsOfFile: lock, encoding: .utf8))?.contains("pid") ?? false) {
            usleep(1000)
        }
        let second = try VisionProcess.run(args, visionHome: CLIFixture.home("lock"))
        #expect(second.status != 0)
        #expect(second.stderr.contains("\(out): is being written by another process (pid \(first.processIdentifier): vision train --out \(out))"),
                "\(second.stderr)")
        #expect(!second.stdout.contains("epoch 1"))
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        #expect(!FileManager.default.fileExists(atPath: lock), "the lock file goes with its holder")
        // Once the first is gone, the same command runs.
        let third = try VisionProcess.run(["train", "--data", data, "--epochs", "1", "--out", out] + TrainFixture.smallRun,
                                          visionHome: CLIFixture.home("lock"))
        #expect(third.status == 0, "\(third.stderr)")
    }

    @Test func badDataAndOptionsFailClearlyAndLeaveOutAsItWas() throws {
        let home = CLIFixture.home("reliability")
        let dir = try Self.directory("bad-inputs")
        let data = try TrainFixture.subset("good-data", classes: 2, perClass: 16)
        let out = dir + "/run.safetensors"
        let good = try VisionProcess.run(["train", "--data", data, "--epochs", "1", "--out", out] + TrainFixture.smallRun, visionHome: home)
        #expect(good.status == 0, "\(good.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let metricsBefore = try Data(contentsOf: URL(fileURLWithPath: out + ".metrics.jsonl"))
        func expectFailure(_ arguments: [String], mentions: [String], _ comment: String) throws {
            let result = try VisionProcess.run(arguments, visionHome: home)
            #expect(result.status != 0, "\(comment): must fail")
            for text in mentions { #expect(result.stderr.contains(text), "\(comment): stderr must name \(text): \(result.stderr)") }
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "\(comment): OUT must be unchanged")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + ".metrics.jsonl")) == metricsBefore, "\(comment): metrics unchanged")
            #expect(Self.names(dir).filter { $0.hasPrefix(".") } == [], "\(comment): no stray file")
        }

        // A folder of files the decoder cannot read (all .bmp): refused at the scan.
        let bmp = try Self.directory("bmp-data")
        for cls in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: bmp + "/" + cls, withIntermediateDirectories: true)
            for i in 0..<4 { _ = FileManager.default.createFile(atPath: "\(bmp)/\(cls)/\(i).bmp", contents: Data([0x42, 0x4D, 0, 0])) }
        }
        try expectFailure(["train", "--data", bmp, "--epochs", "1", "--out", out] + TrainFixture.smallRun,
                          mentions: [bmp, ".bmp", "only JPEG and PNG"], "all-.bmp folder")

        // Every image unreadable (corrupt PNGs): the skip limit stops the run before saving.
        let corrupt = try Self.directory("corrupt-data")
        for cls in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: corrupt + "/" + cls, withIntermediateDirectories: true)
            for i in 0..<8 {
                _ = FileManager.default.createFile(atPath: "\(corrupt)/\(cls)/\(i).png", contents: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))
            }
        }
        try expectFailure(["train", "--data", corrupt, "--epochs", "1", "--out", out] + TrainFixture.smallRun,
                          mentions: ["--max-skipped", corrupt + "/a/0.png", "could not be read"], "all-corrupt folder")
        // One bad image in 33 (3%) passes the default limit of 10% but not --max-skipped 0.01.
        let oneBad = data + "/" + (try FileManager.default.contentsOfDirectory(atPath: data).sorted().first!) + "/zz-bad.png"
        _ = FileManager.default.createFile(atPath: oneBad, contents: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))
        defer { try? FileManager.default.removeItem(atPath: oneBad) }
        try expectFailure(["train", "--data", data, "--epochs", "1", "--max-skipped", "0.01", "--out", out] + TrainFixture.smallRun,
                          mentions: ["--max-skipped", "zz-bad.png", "more than the allowed 1%"], "--max-skipped 0.01")
        try expectFailure(["train", "--data", data, "--max-skipped", "1.5", "--out", out] + TrainFixture.smallRun,
                          mentions: ["--max-skipped"], "--max-skipped out of range")
        try FileManager.default.removeItem(atPath: oneBad)

        // A forged JPEG bomb (13000×13000 claimed by a small file) is named and refused at once;
        // --max-image-pixels refuses real images above it.
        let bombData = try TrainFixture.subset("bomb-data", classes: 2, perClass: 8)
        let real = [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent("Datasets/samples/chelsea.jpg")))
        let bomb = bombData + "/" + (try FileManager.default.contentsOfDirectory(atPath: bombData).sorted().first!) + "/bomb.jpg"
        _ = FileManager.default.createFile(atPath: bomb, contents: Data(forgedJPEG(real, width: 13000, height: 13000)))
        try expectFailure(["train", "--data", bombData, "--epochs", "1", "--strict", "--out", out] + TrainFixture.smallRun,
                          mentions: [bomb, "claims 13000×13000"], "JPEG bomb")
        try FileManager.default.removeItem(atPath: bomb)
        try expectFailure(["train", "--data", bombData, "--epochs", "1", "--strict", "--max-image-pixels", "700", "--out", out]
                          + TrainFixture.smallRun, mentions: ["28x28 pixels exceeds the limit of 700"], "--max-image-pixels")

        // Resume: a completed run needs more epochs; options that cannot apply are refused by name.
        let resume = ["train", "--data", data, "--out", out, "--resume", out, "--plain", "--workers", "2"]
        try expectFailure(resume, mentions: [out, "completed its 1 epochs", "--epochs"], "resume of a complete run")
        for (option, value) in [("--lr", "0.01"), ("--batch-size", "8"), ("--image-size", "32"), ("--seed", "5"),
                                ("--scheduler", "step"), ("--mean", "0.5"), ("--optimizer", "adam")] {
            try expectFailure(resume + ["--epochs", "3", option, value], mentions: ["\(option) \(value) cannot change when resuming", out],
                              "resume with \(option)")
        }
        try expectFailure(resume + ["--epochs", "3", "--pretrained", out], mentions: ["--pretrained and --resume"], "resume with --pretrained")
        try expectFailure(resume + ["--epochs", "3", "--freeze-backbone"], mentions: ["--freeze-backbone cannot change when resuming", out],
                          "resume with --freeze-backbone")

        // The values the run already has are accepted, and raising --epochs is applied and reported.
        let extended = try VisionProcess.run(resume + ["--epochs", "2", "--lr", "0.05", "--batch-size", "16", "--label-smoothing", "0.1"],
                                             visionHome: home)
        #expect(extended.status == 0, "\(extended.stderr)")
        #expect(extended.stdout.contains("applied: epochs: 1 -> 2") && extended.stdout.contains("applied: label_smoothing: 0 -> 0.1"),
                "\(extended.stdout)")
        #expect(extended.stdout.contains("the cosine schedule now spans 2 epochs"), "\(extended.stdout)")
        let lines = try MetricsLog.read(out + ".metrics.jsonl")
        #expect(lines.map(\.epoch) == [1, 2])
        // Cosine over 2 epochs at t = 1: half the base LR (the 1-epoch run ended at 0).
        #expect(abs(lines[1].lr - 0.025) < 1e-12, "epoch 2 lr \(lines[1].lr)")
    }
}

// `vision classify` end to end: the built `vision` binary on the sample photos with a resnet18
// saved here (seeded BN statistics) as a self-describing .safetensors; its JSON must equal the
// same model run in-process, and bad inputs must fail clearly.

import Foundation
import Testing
import SwiftVision
import TestSupport

/// Runs the `vision` binary built next to this test executable.
enum VisionProcess {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static var binary: URL {
        Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("vision")
    }

    static func run(_ arguments: [String], visionHome: String, environment extra: [String: String] = [:]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("the vision binary is not at \(binary.path); `swift build` the package before testing")
            throw CLIFixture.Missing()
        }
        return try run(executable: binary, arguments, visionHome: visionHome, environment: extra)
    }

    /// Runs another program (a launcher such as mpirun, given `binary.path` among its arguments)
    /// the way `run` runs vision: repository root as working directory, VISION_HOME set.
    static func run(executable: URL, _ arguments: [String], visionHome: String, environment extra: [String: String] = [:]) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vision-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["VISION_HOME"] = visionHome
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: out, encoding: .utf8), stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

/// A resnet18 with seeded non-trivial BatchNorm statistics, saved once per test run.
enum CLIFixture {
    struct Missing: Error {}
    static let samples = ["Datasets/samples/astronaut.jpg", "Datasets/samples/chelsea.jpg", "Datasets/samples/coffee.jpg"]

    /// This run's scratch directory; those of earlier runs whose process is gone are removed.
    static let directory: String = {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix("vision-cli-") {
            if let pid = Int32(name.dropFirst("vision-cli-".count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let path = temporary.appendingPathComponent("vision-cli-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// The plain state dict (no metadata), as a torchvision .pth would carry.
    static let plainStateDict: StateDict = {
        let model = try! Architectures.build("resnet18")
        var state = model.checkpointStateDict()
        var g = RandomGenerator(seed: 2024)
        for name in state.keys where name.hasSuffix("running_mean") || name.hasSuffix("running_var") {
            let t = state[name]!
            let u = Tensor.uniform(t.shape, generator: &g)
            state[name] = name.hasSuffix("running_mean") ? (u - 0.5) * 0.2 : u + 0.5
        }
        return state
    }()

    /// `plainStateDict` saved without metadata.
    static let plainPath: String = {
        let path = directory + "/plain-resnet18.safetensors"
        try! saveSafetensors(plainStateDict, metadata: [:], to: path)
        return path
    }()

    /// `plainStateDict` saved with SwiftVision metadata (architecture, classes, preset).
    static let describedPath: String = {
        let path = directory + "/resnet18.safetensors"
        let metadata = ModelMetadata(architecture: "resnet18", numClasses: 1000, classNames: Zoo.imagenetCategories,
                                     preprocessing: ZooPreset.imagenet.metadataValue)
        try! saveSafetensors(plainStateDict, metadata: metadata.map, to: path)
        return path
    }()

    /// Softmax probabilities of the fixture model for one image, computed in-process.
    static func reference(_ image: String) throws -> [Float] {
        let model = try Architectures.build("resnet18")
        try model.loadStateDict(loadCheckpoint(describedPath))
        model.eval()
        let batch = ImageClassificationPreset()(try Image(contentsOf: repositoryRoot.appendingPathComponent(image).path, mode: .rgb)).unsqueeze(0)
        return withNoGrad { model(batch).softmax(dim: 1) }.scalars
    }

    static func home(_ tag: String) -> String {
        let path = directory + "/home-\(tag)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func parseLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }
}

@Suite(.serialized) struct CLIClassifyTests {
    @Test func jsonEqualsInProcessComputation() throws {
        let result = try VisionProcess.run(["classify", "--weights", CLIFixture.describedPath, "--json", "--topk", "5",
                                            "--batch-size", "2", "Datasets/samples"], visionHome: CLIFixture.home("json"))
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try CLIFixture.parseLines(result.stdout)
        #expect(objects.map { $0["image"] as? String } == CLIFixture.samples.map { "Datasets/samples/" + ($0 as NSString).lastPathComponent })
        for (object, image) in zip(objects, CLIFixture.samples) {
            let top = try #require(object["top"] as? [[String: Any]])
            #expect(top.count == 5)
            let indices = top.compactMap { $0["index"] as? Int }
            let probabilities = top.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
            #expect(indices.count == 5 && probabilities.count == 5)
            #expect(zip(probabilities, probabilities.dropFirst()).allSatisfy { $0 >= $1 }, "not sorted: \(probabilities)")
            #expect(top.compactMap { $0["label"] as? String } == indices.map { Zoo.imagenetCategories[$0] })
            let reference = try CLIFixture.reference(image)
            let expectedTop = reference.indices.sorted { reference[$0] > reference[$1] }.prefix(5)
            #expect(indices == Array(expectedTop), "\(image)")
            for (i, p) in zip(indices, probabilities) {
                #expect(Swift.abs(p - Double(reference[i])) <= 1e-5, "\(image) class \(i): \(p) vs \(reference[i])")
            }
        }
    }

    @Test func tableOutputAndZooCache() throws {
        // A zoo name resolves to its cached file (format detected by content, not by the .pth name).
        let home = CLIFixture.home("zoo")
        try FileManager.default.createDirectory(atPath: home + "/checkpoints", withIntermediateDirectories: true)
        let cached = home + "/checkpoints/resnet18-f37072fd.pth"
        try? FileManager.default.removeItem(atPath: cached)
        try FileManager.default.copyItem(atPath: CLIFixture.plainPath, toPath: cached)
        let result = try VisionProcess.run(["classify", "--model", "resnet18", "--topk", "3", "Datasets/samples/chelsea.jpg"], visionHome: home)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4 && lines.first == "Datasets/samples/chelsea.jpg", "\(result.stdout)")
        let reference = try CLIFixture.reference("Datasets/samples/chelsea.jpg")
        let best = reference.indices.max { reference[$0] < reference[$1] }!
        #expect(lines.count > 1 && lines[1].contains("\(Zoo.imagenetCategories[best]) (\(best))") && lines[1].contains("%"), "\(result.stdout)")

        let notCached = try VisionProcess.run(["classify", "--weights", "vgg16", "Datasets/samples/chelsea.jpg"], visionHome: home)
        #expect(notCached.status != 0 && notCached.stderr.contains("vision zoo download vgg16"), "\(notCached.stderr)")
    }

    @Test func unreadableImageIsNamedAndOthersStillClassified() throws {
        let bad = CLIFixture.directory + "/broken.jpg"
        _ = FileManager.default.createFile(atPath: bad, contents: Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]))
        let missing = CLIFixture.directory + "/no-such-image.png"
        let result = try VisionProcess.run(["classify", "--weights", CLIFixture.describedPath, "--json",
                                            bad, "Datasets/samples/chelsea.jpg", missing], visionHome: CLIFixture.home("bad"))
        #expect(result.status == 1)
        #expect(result.stderr.contains(bad), "\(result.stderr)")
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        let objects = try CLIFixture.parseLines(result.stdout)
        #expect(objects.count == 1 && objects.first?["image"] as? String == "Datasets/samples/chelsea.jpg")
    }

    @Test func plainWeightsNeedAModelName() throws {
        let result = try VisionProcess.run(["classify", "--weights", CLIFixture.plainPath, "Datasets/samples/chelsea.jpg"], visionHome: CLIFixture.home("plain"))
        #expect(result.status != 0)
        #expect(result.stderr.contains(CLIFixture.plainPath) && result.stderr.contains("--model"), "\(result.stderr)")
        let named = try VisionProcess.run(["classify", "--weights", CLIFixture.plainPath, "--model", "resnet18", "--json",
                                           "Datasets/samples/chelsea.jpg"], visionHome: CLIFixture.home("plain"))
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try CLIFixture.parseLines(named.stdout).count == 1)
    }

    @Test func unknownModelListsKnownOnes() throws {
        let result = try VisionProcess.run(["classify", "--model", "resnet9000", "Datasets/samples/chelsea.jpg"], visionHome: CLIFixture.home("unknown"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("resnet9000") && result.stderr.contains("vgg16_bn") && result.stderr.contains("resnet50_v2"), "\(result.stderr)")
    }

    @Test func wrongArchitectureNamesFirstMismatch() throws {
        let result = try VisionProcess.run(["classify", "--model", "resnet50", "--weights", CLIFixture.describedPath,
                                            "Datasets/samples/chelsea.jpg"], visionHome: CLIFixture.home("wrong"))
        #expect(result.status != 0)
        #expect(result.stderr.contains(CLIFixture.describedPath), "\(result.stderr)")
        #expect(result.stderr.contains("layer1.0.conv1.weight has shape [64, 64, 3, 3] in the file, resnet50 expects [64, 64, 1, 1]"), "\(result.stderr)")
    }
}

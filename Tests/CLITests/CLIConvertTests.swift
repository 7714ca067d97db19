// `vision convert`: a plain state dict becomes a self-describing safetensors that `classify`
// loads without --model; wrong architectures and class counts are refused naming the key.

import Foundation
import Testing
import SwiftVision
import TestSupport

@Suite(.serialized) struct CLIConvertTests {
    @Test func convertRoundTripAndClassifyWithoutModel() throws {
        let output = CLIFixture.directory + "/converted.safetensors"
        try? FileManager.default.removeItem(atPath: output)
        let home = CLIFixture.home("convert")
        let result = try VisionProcess.run(["convert", CLIFixture.plainPath, output, "--model", "resnet18"], visionHome: home)
        #expect(result.status == 0, "\(result.stderr)")
        let converted = try loadCheckpoint(output)
        let metadata = ModelMetadata(converted.metadata)
        #expect(metadata.architecture == "resnet18")
        #expect(metadata.numClasses == 1000)
        #expect(metadata.classNames == Zoo.imagenetCategories)
        #expect(metadata.preprocessing.flatMap { ZooPreset(metadataValue: $0) } == .imagenet)
        #expect(converted.keys == CLIFixture.plainStateDict.keys)
        for (name, tensor) in CLIFixture.plainStateDict {
            #expect(converted[name]?.scalars == tensor.scalars, "\(name)")
        }
        #expect(converted.dtype(of: "bn1.num_batches_tracked") == .int64)

        // The converted file rebuilds its model alone.
        let classify = try VisionProcess.run(["classify", "--weights", output, "--json", "--topk", "2", "Datasets/samples/coffee.jpg"], visionHome: home)
        #expect(classify.status == 0, "\(classify.stderr)")
        let object = try #require(try CLIFixture.parseLines(classify.stdout).first)
        let top = try #require(object["top"] as? [[String: Any]])
        let reference = try CLIFixture.reference("Datasets/samples/coffee.jpg")
        let best = reference.indices.max { reference[$0] < reference[$1] }!
        #expect(top.first?["index"] as? Int == best)
    }

    /// The zoo's googlenet file (by its file name) converts to a file recording transform_input,
    /// which `classify` then applies; another googlenet file does not record it.
    @Test func convertKeepsTransformInputOfTheZoosGoogLeNet() throws {
        let entry = try #require(Zoo.entry(named: "googlenet"))
        let directory = CLIFixture.directory + "/googlenet-convert"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try TorchGenerator.withSeededDefault(2) { try Architectures.build("googlenet").checkpointStateDict() }
        let zooFile = directory + "/" + entry.fileName, other = directory + "/mine.safetensors"
        try saveSafetensors(state, metadata: [:], to: zooFile)
        try saveSafetensors(state, metadata: [:], to: other)
        let home = CLIFixture.home("convert")
        for (input, expected) in [(zooFile, true), (other, false)] {
            let output = directory + "/out-\(expected).safetensors"
            let result = try VisionProcess.run(["convert", input, output, "--model", "googlenet"], visionHome: home)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("transform_input") == expected, "\(result.stdout)")
            let metadata = ModelMetadata(try loadCheckpoint(output).metadata)
            #expect(metadata.transformInput == (expected ? true : nil) && metadata.architecture == "googlenet")
            #expect(metadata.preprocessing.flatMap { ZooPreset(metadataValue: $0) } == entry.preset)
            let loaded = try LoadedModel.load(weights: output)
            #expect((loaded.module as? InputTransforming)?.transformInput == expected)
        }
    }

    @Test func convertRejectsWrongArchitecture() throws {
        let output = CLIFixture.directory + "/wrong.safetensors"
        try? FileManager.default.removeItem(atPath: output)
        let home = CLIFixture.home("convert-wrong")
        let result = try VisionProcess.run(["convert", CLIFixture.plainPath, output, "--model", "resnet34"], visionHome: home)
        #expect(result.status != 0)
        #expect(result.stderr.contains("layer1.2.conv1.weight is missing"), "\(result.stderr)")
        #expect(result.stderr.contains("missing keys"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let classes = try VisionProcess.run(["convert", CLIFixture.plainPath, output, "--model", "resnet18", "--num-classes", "10"], visionHome: home)
        #expect(classes.status != 0)
        #expect(classes.stderr.contains("fc.weight has shape [1000, 512] in the file, resnet18 expects [10, 512]"), "\(classes.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        // A real torch.save zip checkpoint of another network.
        let pth = repositoryRoot.appendingPathComponent("Tests/CheckpointsTests/Fixtures/cnn_zip.pth").path
        let foreign = try VisionProcess.run(["convert", pth, output, "--model", "alexnet"], visionHome: home)
        #expect(foreign.status != 0)
        #expect(foreign.stderr.contains("cnn_zip.pth: weights do not match alexnet") && foreign.stderr.contains("features.0.weight"), "\(foreign.stderr)")
        #expect(foreign.stderr.contains("unexpected keys"), "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let unknown = try VisionProcess.run(["convert", CLIFixture.plainPath, output, "--model", "lenet"], visionHome: home)
        #expect(unknown.status != 0 && unknown.stderr.contains("alexnet"), "\(unknown.stderr)")
    }
}

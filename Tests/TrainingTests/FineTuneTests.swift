// Fine-tuning: pretrained weights load into a model with another class count; the classifier head
// keeps its fresh initialisation and is reported; any other mismatch is an error naming the key.

import Foundation
import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct FineTune {
        @Test func headKeysPerArchitecture() throws {
            #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("small_cnn", numClasses: 10, inputChannels: 1)) == ["9.weight", "9.bias"])
            #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("resnet18", numClasses: 10)) == ["fc.weight", "fc.bias"])
            #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("alexnet", numClasses: 10)) == ["classifier.6.weight", "classifier.6.bias"])
        }

        @Test func smallCNNHeadIsReinitialisedForNewClasses() throws {
            let pretrained = try Architectures.build("small_cnn", numClasses: 10, inputChannels: 1)
            try fillWithFormula(pretrained)
            let model = try Architectures.build("small_cnn", numClasses: 4, inputChannels: 1)
            let freshHead = try #require(weights(model)["9.weight"])
            let report = try FineTuning.loadPretrained(pretrained.checkpointStateDict(), into: model, path: "pre.safetensors")
            #expect(report.reinitializedKeys == ["9.weight", "9.bias"])
            #expect(report.loadedKeys == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"])
            #expect(report.description == "loaded 6 pretrained tensors; re-initialised 9.weight, 9.bias for the new classes")
            let (loaded, source) = (weights(model), weights(pretrained))
            for key in report.loadedKeys { #expect(loaded[key] == source[key], "\(key)") }
            #expect(loaded["9.weight"] == freshHead)

            // The same class count loads everything.
            let same = try Architectures.build("small_cnn", numClasses: 10, inputChannels: 1)
            let all = try FineTuning.loadPretrained(pretrained.checkpointStateDict(), into: same)
            #expect(all.reinitializedKeys.isEmpty && all.loadedKeys.count == 8)
            #expect(weights(same) == source)
        }

        @Test func resnetFineTuneKeepsBuffersAndReplacesFC() throws {
            let pretrained = try Architectures.build("resnet18", numClasses: 1000)
            let model = try Architectures.build("resnet18", numClasses: 3)
            let report = try FineTuning.loadPretrained(pretrained.checkpointStateDict(), into: model)
            #expect(report.reinitializedKeys == ["fc.weight", "fc.bias"])
            #expect(report.loadedKeys.contains("bn1.running_var") && report.loadedKeys.contains("layer4.1.bn2.num_batches_tracked"))
            #expect(weights(model)["layer4.1.conv2.weight"] == weights(pretrained)["layer4.1.conv2.weight"])
        }

        @Test func frozenBackboneTrainsOnlyTheHead() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let model = try spec.makeModel()
            let before = weights(model)
            let config = TrainingConfig(epochs: 2, batchSize: 16, lr: 0.05, weightDecay: 1e-3, seed: 5, freezeBackbone: true)
            let path = dir.file("head.safetensors")
            let trainer = try Trainer(model: model, spec: spec, config: config, checkpointPath: path)
            #expect(model.namedParameters().filter(\.parameter.requiresGrad).map(\.name) == ["9.weight", "9.bias"])
            try trainer.fit(train: quadrantSource(count: 64, seed: 3, batchSize: 16), reporter: CallbackReporter { _ in }, interrupt: InterruptFlag())
            let after = weights(model)
            for key in ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"] { #expect(after[key] == before[key], "\(key) must stay frozen") }
            #expect(after["9.weight"] != before["9.weight"] && after["9.bias"] != before["9.bias"])

            // The checkpoint records the setting; resuming keeps the backbone frozen.
            let checkpoint = try TrainingCheckpoint.load(path)
            #expect(checkpoint.trainState?.config.freezeBackbone == true)
            let resumedModel = try spec.makeModel()
            let resumed = try Trainer(model: resumedModel, spec: spec, config: TrainingConfig(epochs: 3, batchSize: 16, lr: 0.05, weightDecay: 1e-3, seed: 5, freezeBackbone: true), checkpointPath: path)
            try resumed.resume(from: checkpoint)
            try resumed.fit(train: quadrantSource(count: 64, seed: 3, batchSize: 16), reporter: CallbackReporter { _ in }, interrupt: InterruptFlag())
            #expect(weights(resumedModel)["0.weight"] == before["0.weight"])
            let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
            #expect(json.contains(#""freeze_backbone":true"#))
            #expect(try JSONDecoder().decode(TrainingConfig.self, from: Data(json.utf8)) == config)
        }

        @Test func headsOfConvolutionalClassifiersAndBatchNormStatistics() throws {
            // A BatchNorm in a frozen backbone still updates its running statistics in training mode.
            let model = try Architectures.build("resnet18", numClasses: 3)
            #expect(FineTuning.freezeBackbone(of: model) == ["fc.weight", "fc.bias"])
            let mean = model.stateDict().first { $0.name == "bn1.running_mean" }!.tensor.scalars
            let x = Tensor(shape: [2, 3, 32, 32], data: (0..<(2 * 3 * 32 * 32)).map { Float(sin(0.1 * Double($0))) })
            try model(x).sum().backward()
            #expect(model.namedParameters().first { $0.name == "conv1.weight" }!.parameter.grad == nil)
            #expect(model.namedParameters().first { $0.name == "fc.weight" }!.parameter.grad != nil)
            #expect(model.stateDict().first { $0.name == "bn1.running_mean" }!.tensor.scalars != mean)
            model.setRequiresGrad(true)
            #expect(model.parameters().allSatisfy { $0.requiresGrad })
        }

        @Test func mismatchesOutsideTheHeadAreErrors() throws {
            let rgb = try Architectures.build("small_cnn", numClasses: 10, inputChannels: 3)
            let gray = try Architectures.build("small_cnn", numClasses: 4, inputChannels: 1)
            let e1 = #expect(throws: TrainingError.self) { try FineTuning.loadPretrained(rgb.checkpointStateDict(), into: gray, path: "rgb.pth") }
            #expect("\(message(e1))".hasPrefix("rgb.pth: the checkpoint does not match"), "\(message(e1))")
            #expect("\(message(e1))".hasSuffix("0.weight has shape [32, 3, 3, 3] in the file, the model expects [32, 1, 3, 3]"), "\(message(e1))")

            var missing = try Architectures.build("small_cnn", numClasses: 10, inputChannels: 1).checkpointStateDict()
            missing.remove("3.bias")
            let e2 = #expect(throws: TrainingError.self) { try FineTuning.loadPretrained(missing, into: gray) }
            #expect("\(message(e2))".hasSuffix("3.bias is missing from the file"), "\(message(e2))")

            var extra = try Architectures.build("small_cnn", numClasses: 4, inputChannels: 1).checkpointStateDict()
            extra["10.weight"] = Tensor.zeros([2])
            let e3 = #expect(throws: TrainingError.self) { try FineTuning.loadPretrained(extra, into: gray) }
            #expect("\(message(e3))".hasSuffix("10.weight is in the file but not in the model"), "\(message(e3))")
        }
    }
}

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

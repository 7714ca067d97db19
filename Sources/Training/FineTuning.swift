// Fine-tuning: pretrained weights into a model built for another number of classes. The classifier
// head (the parameters of the model's last `Linear`: resnet `fc.*`, vgg/alexnet `classifier.6.*`,
// small_cnn `9.*`; or the layers a `ClassifierHeads` model names: googlenet's `aux1.fc2`, `aux2.fc2`
// and `fc`, squeezenet's `classifier.1`) keeps its fresh initialisation when its shapes differ from
// the pretrained ones; every other key must be present with its shape, or loading fails naming the
// first bad key.

import Checkpoints
import Models
import NN
import Tensors

/// What `FineTuning.loadPretrained` did.
public struct FineTuneReport: Sendable, Equatable, CustomStringConvertible {
    /// Keys loaded from the pretrained weights.
    public var loadedKeys: [String]
    /// Head keys left at their fresh initialisation because the class count differs.
    public var reinitializedKeys: [String]

    public var description: String {
        reinitializedKeys.isEmpty
            ? "loaded all \(loadedKeys.count) pretrained tensors"
            : "loaded \(loadedKeys.count) pretrained tensors; re-initialised \(reinitializedKeys.joined(separator: ", ")) for the new classes"
    }
}

/// Loading pretrained weights for fine-tuning.
public enum FineTuning {
    /// The state-dict keys of `model`'s classifier heads: the parameters of the layers its
    /// `ClassifierHeads` conformance names (auxiliary heads, SqueezeNet's conv), else of its last `Linear`.
    public static func classifierHeadKeys(of model: Module) -> [String] {
        let modules = model.namedModules()
        if let heads = (model as? any ClassifierHeads)?.classifierHeadPaths {
            return modules.filter { heads.contains($0.name) }.flatMap { $0.module.namedParameters(prefix: $0.name).map(\.name) }
        }
        guard let (path, head) = modules.last(where: { $0.module is Linear }) else { return [] }
        return head.namedParameters(prefix: path).map(\.name)
    }

    /// Loads `weights` into `model` (after the key upgrade torchvision applies to the model's
    /// published weights, `upgradingLegacyCheckpointKeys`), skipping the classifier heads' keys whose
    /// shapes differ (they keep the model's fresh initialisation and are listed in the report).
    /// - Parameter path: names the weights in errors.
    /// - Throws: `TrainingError.checkpointMismatch` for a missing key, an unexpected key or a shape
    ///   mismatch outside the head.
    @discardableResult
    public static func loadPretrained(_ weights: StateDict, into model: Module, path: String = "<pretrained weights>") throws -> FineTuneReport {
        let weights = model.upgradingLegacyCheckpointKeys(weights)
        let head = Set(classifierHeadKeys(of: model))
        let expected = model.stateDict()
        var kept = StateDict()
        var reinitialized: [String] = []
        for (key, tensor) in expected {
            if head.contains(key), let given = weights[key], given.shape != tensor.shape {
                reinitialized.append(key)
                continue
            }
            if let given = weights[key] { kept.set(key, given, dtype: weights.dtype(of: key) ?? .float32) }
        }
        let known = Set(expected.map(\.name))
        for key in weights.keys where !known.contains(key) { kept.set(key, weights[key]!, dtype: .float32) }
        let name = "\(model.summary) with \(head.sorted().joined(separator: "/")) as its head"
        let remaining = Set(reinitialized)
        if let (key, detail) = firstMismatch(kept, model, ignoring: remaining) {
            throw TrainingError.checkpointMismatch(path: path, model: name, key: key, detail: detail)
        }
        try model.loadStateDict(kept, strict: false)
        return FineTuneReport(loadedKeys: kept.keys, reinitializedKeys: reinitialized)
    }
}

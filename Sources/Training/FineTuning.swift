// Fine-tuning: pretrained weights into a model built for another number of classes. The classifier
// head (the model's `ClassifierHeads.classifierHeadPaths` when it declares them, as models with
// auxiliary heads do; otherwise its last `Linear` or, for a head that is a convolution such as
// squeezenet's, its last `Conv2d`: resnet `fc.*`, vgg/alexnet `classifier.6.*`, small_cnn `9.*`)
// keeps its fresh initialisation when its shapes differ from the pretrained ones; every other key
// must be present with its shape, or loading fails naming the first bad key. `freezeBackbone`
// freezes every parameter outside the head, for training the head alone.

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
    /// The state-dict keys of `model`'s classifier head: the parameters of the modules its
    /// `ClassifierHeads.classifierHeadPaths` name, or else of its last `Linear` or `Conv2d` (the
    /// later of the two in registration order, which is the order of the forward pass in every
    /// builder here).
    public static func classifierHeadKeys(of model: Module) -> [String] {
        let modules = model.namedModules()
        if let declared = model as? ClassifierHeads {
            let paths = Set(declared.classifierHeadPaths)
            return modules.filter { paths.contains($0.name) }.flatMap { $0.module.namedParameters(prefix: $0.name).map(\.name) }
        }
        guard let (path, head) = modules.last(where: { $0.module is Linear || $0.module is Conv2d }) else { return [] }
        return head.namedParameters(prefix: path).map(\.name)
    }

    /// Freezes every parameter of `model` outside its classifier head (`classifierHeadKeys`), so
    /// training updates the head alone; returns the keys left trainable. BatchNorm layers keep
    /// updating their running statistics in training mode, as in PyTorch with `requires_grad_(False)`.
    @discardableResult
    public static func freezeBackbone(of model: Module) -> [String] {
        let head = Set(classifierHeadKeys(of: model))
        for (name, p) in model.namedParameters() { p.requiresGrad = head.contains(name) }
        return model.namedParameters().map(\.name).filter(head.contains)
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

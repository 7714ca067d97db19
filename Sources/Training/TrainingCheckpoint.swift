// One safetensors file per run holds the model and, under the reserved `train_state.` prefix, the
// training state (see TrainState.swift). Classify/evaluate load it with `TrainingCheckpoint.load`
// and use `model` + `spec`, ignoring the training state; `Trainer.resume` uses all of it. The file
// is rewritten atomically (temporary file + rename) after every epoch and at an interruption, so
// the last good checkpoint survives a crash or a diverging run.

import Checkpoints
import Models
import NN
import Tensors

/// A checkpoint split into the model's weights, its description and the optional training state.
public struct TrainingCheckpoint: Sendable {
    /// The file it was read from.
    public var path: String
    /// The model's tensors only (no `train_state.` entries); `metadata` holds the model's keys.
    public var model: StateDict
    /// Architecture, classes, input channels and preprocessing, when the file records them (files
    /// written by the trainer or `vision convert` do; a torchvision `.pth` does not).
    public var spec: ModelSpec?
    /// The training state, for files written by the trainer.
    public var trainState: TrainState?

    /// Reads any checkpoint `loadCheckpoint` reads (safetensors or a PyTorch `.pth`) and splits it.
    /// - Throws: `CheckpointError` for unreadable files, `TrainingError.invalidCheckpoint` for
    ///   malformed SwiftVision metadata.
    public static func load(_ path: String) throws -> TrainingCheckpoint {
        try split(try loadCheckpoint(path), path: path)
    }

    /// Reads a checkpoint from the bytes of a file (a data-parallel run's rank 0 reads the file and
    /// sends its bytes to the others); `path` names it in errors.
    public static func load(bytes: [UInt8], path: String) throws -> TrainingCheckpoint {
        try split(try loadCheckpoint(bytes: bytes, name: path), path: path)
    }

    private static func split(_ all: StateDict, path: String) throws -> TrainingCheckpoint {
        var model = StateDict()
        var stateTensors: [(String, Tensor)] = []
        for entry in all.entries {
            if entry.name.hasPrefix(TrainState.prefix) {
                guard entry.name.hasPrefix(TrainState.tensorPrefix) else {
                    throw TrainingError.invalidCheckpoint(path: path, reason: "unknown training-state tensor '\(entry.name)'")
                }
                stateTensors.append((entry.name, entry.tensor))
            } else {
                model.set(entry.name, entry.tensor, dtype: entry.dtype)
            }
        }
        model.metadata = all.metadata.filter { !$0.key.hasPrefix(TrainState.prefix) }
        model.notes = all.notes
        model.format = all.format
        let spec = all.metadata["architecture"] == nil ? nil : try ModelSpec(metadata: all.metadata, path: path)
        let state = try TrainState.decode(tensors: stateTensors, metadata: all.metadata, path: path)
        return TrainingCheckpoint(path: path, model: model, spec: spec, trainState: state)
    }

    /// Builds the recorded architecture and loads the weights strictly, in eval mode.
    /// - Throws: `TrainingError.invalidCheckpoint` without a recorded architecture,
    ///   `TrainingError.checkpointMismatch` naming the first key that does not fit.
    public func buildModel() throws -> Module {
        guard let spec else {
            throw TrainingError.invalidCheckpoint(path: path, reason: "the file does not record its architecture; build the model yourself")
        }
        let module = try spec.makeModel()
        try loadWeights(model, into: module, name: "\(spec.architecture) (\(spec.numClasses) classes)", path: path)
        return module.eval()
    }

    /// Writes `model`'s weights, `spec`'s metadata and (optionally) `state` to `path`, atomically.
    public static func save(model: Module, spec: ModelSpec, state: TrainState?, to path: String) throws {
        var dict = model.checkpointStateDict()
        var metadata = spec.metadata
        if let state {
            let (tensors, extra) = try state.encoded()
            for (name, tensor) in tensors { dict.set(name, tensor, dtype: .float32) }
            metadata.merge(extra) { _, new in new }
        }
        try saveSafetensors(dict, metadata: metadata, to: path)
    }
}

/// Loads `weights` strictly into `module`; a mismatch throws naming the first key (in the model's
/// state-dict order) that is missing or has another shape, or else the first unexpected key.
func loadWeights(_ weights: StateDict, into module: Module, name: String, path: String) throws {
    if let (key, detail) = firstMismatch(weights, module) {
        throw TrainingError.checkpointMismatch(path: path, model: name, key: key, detail: detail)
    }
    try module.loadStateDict(weights, strict: true)
}

/// The first key where `weights` and `module`'s state dict disagree, with what is wrong.
/// Keys in `ignoring` may be absent.
func firstMismatch(_ weights: StateDict, _ module: Module, ignoring: Set<String> = []) -> (key: String, detail: String)? {
    let expected = module.stateDict()
    for (key, tensor) in expected where !ignoring.contains(key) {
        guard let given = weights[key] else { return (key, "is missing from the file") }
        if given.shape != tensor.shape {
            return (key, "has shape \(describe(given.shape)) in the file, the model expects \(describe(tensor.shape))")
        }
    }
    let known = Set(expected.map(\.name))
    if let extra = weights.keys.first(where: { !known.contains($0) }) {
        return (extra, "is in the file but not in the model")
    }
    return nil
}

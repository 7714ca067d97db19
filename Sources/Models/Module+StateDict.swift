// Bridges NN's modules and Checkpoints' state dicts (NN knows nothing of files).

import Checkpoints
import NN
import Tensors

extension Module {
    /// Loads a checkpoint's tensors into this module (see `loadStateDict(_:strict:)` on pairs).
    @discardableResult
    public func loadStateDict(_ stateDict: StateDict, strict: Bool = true) throws -> StateDictLoadReport {
        try loadStateDict(stateDict.map { ($0.name, $0.tensor) }, strict: strict)
    }

    /// This module's parameters and buffers as a checkpoint state dict, in PyTorch's order, with
    /// `num_batches_tracked` kept as int64 as PyTorch stores it.
    public func checkpointStateDict() -> StateDict {
        var out = StateDict()
        for (name, tensor) in stateDict() {
            out.set(name, tensor, dtype: name.hasSuffix("num_batches_tracked") ? .int64 : .float32)
        }
        return out
    }
}

/// A model whose published checkpoints use older state-dict keys than its modules (torchvision's
/// DenseNet weights), with the upgrade torchvision applies to them before loading.
public protocol LegacyCheckpointKeys: Module {
    /// `stateDict` with its legacy keys renamed to this model's (current keys pass unchanged).
    func upgradingLegacyKeys(_ stateDict: StateDict) -> StateDict
}

extension Module {
    /// `stateDict` as this model loads it: upgraded by `LegacyCheckpointKeys` when the model
    /// declares legacy keys, else unchanged. The model-zoo loaders call it before a strict load.
    public func upgradingLegacyCheckpointKeys(_ stateDict: StateDict) -> StateDict {
        (self as? any LegacyCheckpointKeys)?.upgradingLegacyKeys(stateDict) ?? stateDict
    }
}

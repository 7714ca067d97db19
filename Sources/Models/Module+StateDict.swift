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

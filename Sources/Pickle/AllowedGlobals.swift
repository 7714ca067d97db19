// The allowlist of globals, after PyTorch's weights_only unpickler: what a state-dict pickle
// needs to rebuild tensors and ordered dicts, and nothing else. A global found here is only ever
// a tag the unpickler interprets itself (see `Unpickler.reduce`); no Python callable exists.

/// An allowlisted global.
enum AllowedGlobal: Equatable {
    case orderedDict, set, frozenset, codecsEncode, torchSize, torchDevice
    case rebuildTensor, rebuildTensorV2, rebuildParameter, rebuildParameterWithState
    /// `torch.FloatStorage` and friends; `torch.UntypedStorage` is bytes.
    case storageClass(DType)
    /// `torch.float32` and friends.
    case dtype(DType)
    /// `torch.FloatTensor` and friends (the tar format names them; never instantiated).
    case tensorClass(DType)
    /// numpy's array pickling globals, allowed only in data pickles (see NumpyArray.swift).
    case numpyReconstruct, numpyFromBuffer, numpyNDArray, numpyDType

    /// The global `module.name`, if allowed. Python 2 module names are mapped as pickle does.
    static func lookup(module rawModule: String, name: String) -> AllowedGlobal? {
        let module = rawModule == "__builtin__" ? "builtins" : rawModule
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("builtins", "set"): return .set
        case ("builtins", "frozenset"): return .frozenset
        case ("_codecs", "encode"): return .codecsEncode
        case ("torch", "Size"): return .torchSize
        case ("torch", "device"): return .torchDevice
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", _), ("torch.storage", "UntypedStorage"):
            if let d = DType(torchStorageClass: name) { return .storageClass(d) }
            if let d = DType(torchDTypeName: name) { return .dtype(d) }
            if let d = DType(torchTensorClass: name) { return .tensorClass(d) }
            return nil
        case ("torch.cuda", _):
            // CUDA checkpoints name `torch.cuda.FloatStorage`; the bytes are the same.
            if let d = DType(torchStorageClass: name) { return .storageClass(d) }
            if let d = DType(torchTensorClass: name) { return .tensorClass(d) }
            return nil
        default: return nil
        }
    }
}

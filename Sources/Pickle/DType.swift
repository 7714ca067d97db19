// Element types as they appear in checkpoint files. Tensors are Float32 in memory; the file's
// dtype is kept next to each tensor so that integers (e.g. `num_batches_tracked`) and half
// precision survive a round trip through safetensors. The type lives here, below Checkpoints,
// because pickles name it (storage classes, `torch.float32` globals); the safetensors spelling
// is Checkpoints' extension (`DType+Safetensors.swift`).

/// The element type a tensor had in its file.
public enum DType: String, Sendable, CaseIterable, Hashable {
    case float32, float16, bfloat16, float64
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Whether values are integers (or booleans) rather than floating point.
    public var isInteger: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return false
        default: return true
        }
    }

    /// The dtype of a legacy PyTorch storage class (`FloatStorage`, `HalfStorage`, ...).
    package init?(torchStorageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "DoubleStorage": self = .float64
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage", "UntypedStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// The dtype of a legacy PyTorch tensor class (`FloatTensor`, ...), used by the tar format.
    package init?(torchTensorClass name: String) {
        guard name.hasSuffix("Tensor") else { return nil }
        self.init(torchStorageClass: String(name.dropLast("Tensor".count)) + "Storage")
    }

    /// The dtype of a `torch.<name>` dtype global (`float32`, `half`, `long`, ...).
    package init?(torchDTypeName name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float16", "half": self = .float16
        case "bfloat16": self = .bfloat16
        case "float64", "double": self = .float64
        case "int64", "long": self = .int64
        case "int32", "int": self = .int32
        case "int16", "short": self = .int16
        case "int8": self = .int8
        case "uint8": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }
}

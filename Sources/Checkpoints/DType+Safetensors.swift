// The safetensors spelling of `DType` (Pickle's element-type enum): `F32`, `BF16`, `I64`, ...
import Pickle

extension DType {
    /// The dtype's name in a safetensors header (`F32`, `BF16`, `I64`, ...).
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float64: return "F64"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The dtype named `name` in a safetensors header, if supported.
    public init?(safetensorsName name: String) {
        guard let d = DType.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = d
    }
}

// The public tree a data pickle reads into: Python's plain types and numpy arrays, nothing that
// could stand for code or storage. `kind` names each case for error messages, here and (through
// `PickleValue.plain`) in the unpickler's own messages.

/// A value from a data pickle: Python's plain types and numpy arrays.
public indirect enum PickleData: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`, as little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    /// `bytes`, `bytearray`, or a Python 2 `str`.
    case bytes([UInt8])
    case list([PickleData])
    case tuple([PickleData])
    /// A dict, in insertion order.
    case dict([(key: PickleData, value: PickleData)])
    case array(NumpyArray)

    /// The value stored under `key` in a dict, matching a `str` or a `bytes` key.
    public subscript(key: String) -> PickleData? {
        guard case .dict(let entries) = self else { return nil }
        return entries.first { $0.key.text == key }?.value
    }

    /// A `str`, or `bytes` read as UTF-8 (Latin-1 if not valid UTF-8).
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(validating: b, as: UTF8.self) ?? String(b.map { Character(Unicode.Scalar($0)) })
        default: return nil
        }
    }

    /// An integer (a bool counts, as in Python).
    public var int: Int? {
        switch self {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The items of a list or tuple.
    public var items: [PickleData]? {
        switch self {
        case .list(let l), .tuple(let l): return l
        default: return nil
        }
    }

    /// A short description for error messages.
    public var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .array: return "numpy.ndarray"
        }
    }
}

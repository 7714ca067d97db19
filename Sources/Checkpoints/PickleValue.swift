// What the safe unpickler produces: an immutable tree of plain data, storages and tensor
// descriptions. Nothing here can run code; a "global" is only a name from the allowlist.

/// A storage as a persistent id names it: which record holds the bytes, their dtype and length.
struct StorageRef: Hashable {
    /// The record key (`data/<key>` in a zip, the storage key in legacy files).
    let key: String
    let dtype: DType
    /// Elements in the storage (or in the view).
    let count: Int
    /// Legacy storage views: the view starts `viewOffset` elements into the root storage.
    var viewOffset: Int = 0
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided window on a storage.
struct TensorRef {
    let storage: StorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// A node of an unpickled object tree.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// A LONG1 integer too wide for `Int`, as little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or OrderedDict, in insertion order.
    case dict([(key: PickleValue, value: PickleValue)])
    /// An allowlisted global used as a value (a dtype, a storage or tensor class).
    case global(String)
    case storage(StorageRef)
    case tensor(TensorRef)
    /// A persistent id that is not a storage tuple (the tar format names tensors this way).
    case persistentKey(String)
    /// A numpy array (data pickles only).
    case array(NumpyArray)

    /// The string, if this is a string.
    var string: String? { if case .string(let s) = self { return s }; return nil }

    /// The integer, if this is an integer (or a bool, as in Python).
    var int: Int? {
        switch self {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// A short description for error messages.
    var kind: String {
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
        case .global(let g): return g
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .persistentKey: return "persistent id"
        case .array: return "numpy.ndarray"
        }
    }
}

// What the safe unpickler produces: an immutable tree of plain data, storages and tensor
// descriptions. Nothing here can run code; a "global" is only a name from the allowlist.

/// A storage as a persistent id names it: which record holds the bytes, their dtype and length.
package struct StorageRef: Hashable {
    /// The record key (`data/<key>` in a zip, the storage key in legacy files).
    package let key: String
    package let dtype: DType
    /// Elements in the storage (or in the view).
    package let count: Int
    /// Legacy storage views: the view starts `viewOffset` elements into the root storage.
    package var viewOffset: Int = 0

    package init(key: String, dtype: DType, count: Int, viewOffset: Int = 0) {
        self.key = key
        self.dtype = dtype
        self.count = count
        self.viewOffset = viewOffset
    }
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided window on a storage.
package struct TensorRef {
    package let storage: StorageRef
    package let offset: Int
    package let shape: [Int]
    package let strides: [Int]

    package init(storage: StorageRef, offset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
    }
}

/// A node of an unpickled object tree: plain data, containers (which may hold tensors), and the
/// torch objects a state dict is made of.
package indirect enum PickleValue {
    /// A plain value that is not a container: None, bool, int, float, str, bytes or a numpy array
    /// (never `.list`, `.tuple` or `.dict`, which are the cases below).
    case plain(PickleData)
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

    /// The string, if this is a string.
    package var string: String? { if case .plain(.string(let s)) = self { return s }; return nil }

    /// The integer, if this is an integer (or a bool, as in Python).
    package var int: Int? { if case .plain(let d) = self { return d.int }; return nil }

    /// A storage or tensor key: a string, or an int as its decimal text (the legacy and tar
    /// formats write either).
    package var keyText: String? {
        switch self {
        case .plain(.string(let s)): return s
        case .plain(.int(let v)): return String(v)
        default: return nil
        }
    }

    /// A short description for error messages (plain values are named as `PickleData.kind` names them).
    package var kind: String {
        switch self {
        case .plain(let d): return d.kind
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .global(let g): return g
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .persistentKey: return "persistent id"
        }
    }
}

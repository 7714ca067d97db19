// Reading pickles of plain data and numpy arrays (CIFAR's python batches) with the same safe
// unpickler as checkpoints: only the numpy array globals are added to its allowlist, each
// interpreted by the unpickler itself (NumpyArray.swift), and Python 2 strings read as bytes, as
// `pickle.load(f, encoding="bytes")` does. Storages, tensors and any other global are refused.

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

/// Reads pickles of plain data and numpy arrays without running any code.
public enum DataPickle {
    /// The object of the pickle in the file at `path`; errors name the file.
    public static func load(contentsOf path: String) throws -> PickleData {
        try withPath(path) {
            let file = try FileBytes(mapping: path)
            return try load(file.bytes)
        }
    }

    /// The object of the pickle in `bytes`; errors name `name`.
    public static func load(bytes: [UInt8], name: String = "<memory>") throws -> PickleData {
        try withPath(name) { try bytes.withUnsafeBytes { try load($0) } }
    }

    static func load(_ bytes: UnsafeRawBufferPointer) throws -> PickleData {
        var unpickler = Unpickler(bytes, options: .init(numpyArrays: true, legacyStringsAsBytes: true))
        return try plain(try unpickler.load())
    }

    /// Converts the unpickler's tree, refusing what is not plain data.
    static func plain(_ v: PickleValue) throws -> PickleData {
        switch v {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let b): return .bigInt(b)
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .bytes(let b): return .bytes(b)
        case .list(let l): return .list(try l.map(plain))
        case .tuple(let t): return .tuple(try t.map(plain))
        case .dict(let d): return .dict(try d.map { (key: try plain($0.key), value: try plain($0.value)) })
        case .array(let a): return .array(a)
        case .global, .storage, .tensor, .persistentKey:
            throw FormatError("pickle: a \(v.kind) is not plain data")
        }
    }
}

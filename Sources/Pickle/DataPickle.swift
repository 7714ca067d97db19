// Reading pickles of plain data and numpy arrays (CIFAR's python batches) with the same safe
// unpickler as checkpoints: only the numpy array globals are added to its allowlist, each
// interpreted by the unpickler itself (NumpyArray.swift), and Python 2 strings read as bytes, as
// `pickle.load(f, encoding="bytes")` does. Storages, tensors and any other global are refused.

import Files

/// Reads pickles of plain data and numpy arrays without running any code.
public enum DataPickle {
    /// The object of the pickle in the file at `path` (memory-mapped while it is read).
    /// - Throws: `PickleError` naming the file and the problem.
    public static func load(contentsOf path: String) throws -> PickleData {
        try withName(path) {
            let file = try MappedFile(path: path)
            return try withExtendedLifetime(file) { try load(file.bytes) }
        }
    }

    /// The object of the pickle in `bytes`.
    /// - Throws: `PickleError` naming `name` and the problem.
    public static func load(bytes: [UInt8], name: String = "<memory>") throws -> PickleData {
        try withName(name) { try bytes.withUnsafeBytes { try load($0) } }
    }

    static func load(_ bytes: UnsafeRawBufferPointer) throws -> PickleData {
        var unpickler = Unpickler(bytes, options: .init(numpyArrays: true, legacyStringsAsBytes: true))
        return try plain(try unpickler.load())
    }

    /// Converts the unpickler's tree, refusing what is not plain data.
    static func plain(_ v: PickleValue) throws -> PickleData {
        switch v {
        case .plain(let d): return d
        case .list(let l): return .list(try l.map(plain))
        case .tuple(let t): return .tuple(try t.map(plain))
        case .dict(let d): return .dict(try d.map { (key: try plain($0.key), value: try plain($0.value)) })
        case .global, .storage, .tensor, .persistentKey:
            throw FormatError("pickle: a \(v.kind) is not plain data")
        }
    }
}

// torch.save's legacy stream (`_use_new_zipfile_serialization=False`; zoo files before 1.6 such
// as vgg16-397923af.pth): five pickles back to back — the magic number 0x1950a86a20f9469cfc6c,
// the protocol version 1001, sys_info (byte order, type sizes), the object (persistent ids
// ('storage', FloatStorage, key, location, numel, view) declare storages), the list of storage
// keys — then, for each key in that order, an int64 element count and the raw elements.

import Pickle

enum TorchLegacyFormat {
    /// The magic number as the little-endian bytes of its LONG1 encoding.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    /// Whether `bytes` start like a legacy stream: PROTO n, LONG1 of 10 bytes, the magic.
    static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 14 && bytes[0] == 0x80 && bytes[2] == 0x8a && bytes[3] == 10 && Array(bytes[4..<14]) == magic
    }

    static func load(_ bytes: UnsafeRawBufferPointer, release: (UnsafeRawBufferPointer) -> Void) throws -> StateDict {
        var position = 0
        func next() throws -> (PickleValue, Unpickler) {
            var u = Unpickler(bytes, at: position)
            let v = try u.load()
            position = u.position
            return (v, u)
        }
        guard case .plain(.bigInt(let m)) = try next().0, m == magic else { throw FormatError("legacy stream: bad magic number") }
        guard try next().0.int == 1001 else { throw FormatError("legacy stream: unsupported protocol version") }
        var bigEndian = false
        if case .dict(let info) = try next().0, let little = info.first(where: { $0.key.string == "little_endian" })?.value {
            guard case .plain(.bool(let isLittle)) = little else { throw FormatError("legacy stream: sys_info little_endian is not a bool") }
            bigEndian = !isLittle
        }
        let (object, unpickler) = try next()
        guard case .list(let keyList) = try next().0 else { throw FormatError("legacy stream: the storage key list is missing") }
        let declared = unpickler.declaredStorages

        // The raw storages, in key-list order.
        var cursor = ByteCursor(bytes, at: position)
        var located: [String: UnsafeRawBufferPointer] = [:]
        for keyValue in keyList {
            guard let key = keyValue.keyText else { throw FormatError("legacy stream: storage key is a \(keyValue.kind)") }
            guard let d = declared[key] else { throw FormatError("legacy stream: storage \(key) is listed but never used") }
            guard located[key] == nil else { throw FormatError("legacy stream: storage \(key) is listed twice") }
            let raw = try cursor.le(Int64.self, "element count of storage \(key)")
            let count = bigEndian ? Int64(bigEndian: raw.littleEndian) : raw
            guard count == Int64(d.count) else {
                throw FormatError("legacy stream: storage \(key) holds \(count) elements but the pickle declares \(d.count)")
            }
            let length = try checkedMul(d.count, d.dtype.elementSize, "size of storage \(key)")
            located[key] = try cursor.slice(length, "storage \(key) (\(length) bytes)")
        }
        let (pairs, notes) = try StateDictSelection.select(object)
        var dict = try StateDictSelection.materialize(
            pairs, fileSize: bytes.count, bigEndian: bigEndian,
            storage: { ref in
                guard let data = located[ref.key] else { throw FormatError("storage \(ref.key) is not in the file") }
                return data
            },
            release: release)
        dict.notes = notes
        dict.format = .torchLegacy
        return dict
    }
}

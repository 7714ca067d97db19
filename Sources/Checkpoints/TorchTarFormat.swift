// PyTorch's pre-0.4 tar format: members `storages` (a pickled count, then per storage a pickled
// (key, location, storage class), an int64 element count and the raw elements, then a pickled
// list of storage views), `tensors` (a pickled count, then per tensor a pickled (key, storage
// key, tensor class), an int32 rank, 4 padding bytes, int64 sizes, int64 strides and an int64
// storage offset) and `pickle` (the object, whose persistent ids are tensor keys). Each pickle
// goes through the same safe unpickler as every other format.

import Pickle

enum TorchTarFormat {
    static func load(_ bytes: UnsafeRawBufferPointer, release: (UnsafeRawBufferPointer) -> Void) throws -> StateDict {
        let members = try TarReader.members(bytes)
        guard let storagesData = members["storages"], let tensorsData = members["tensors"], let pickleData = members["pickle"] else {
            throw FormatError("tar: the archive lacks the storages, tensors or pickle member of a PyTorch checkpoint")
        }
        func key(_ v: PickleValue, _ what: String) throws -> String {
            guard let k = v.keyText else { throw FormatError("tar: \(what) is a \(v.kind)") }
            return k
        }
        func readPickle(_ c: inout ByteCursor) throws -> PickleValue {
            var u = Unpickler(c.bytes, at: c.position)
            let v = try u.load()
            c.position = u.position
            return v
        }
        func dtypeOf(_ v: PickleValue) throws -> DType {
            guard case .global(let name) = v else { throw FormatError("tar: storage class is a \(v.kind)") }
            let parts = name.split(separator: ".")
            guard let last = parts.last, let d = DType(torchStorageClass: String(last)) else { throw FormatError("tar: \(name) is not a storage class") }
            return d
        }

        // Storages: key → (dtype, count, bytes); views map a key to a window of a root.
        var storages: [String: (dtype: DType, count: Int, data: UnsafeRawBufferPointer)] = [:]
        var views: [String: StorageRef] = [:]
        var c = ByteCursor(storagesData)
        guard let n = try readPickle(&c).int, n >= 0, n <= storagesData.count else { throw FormatError("tar: bad storage count") }
        for _ in 0..<n {
            guard case .tuple(let t) = try readPickle(&c), t.count == 3 else { throw FormatError("tar: bad storage header") }
            let k = try key(t[0], "storage key"), dtype = try dtypeOf(t[2])
            let count = try checkedInt(try c.le(Int64.self, "element count of storage \(k)"), "element count of storage \(k)")
            let data = try c.slice(try checkedMul(count, dtype.elementSize, "size of storage \(k)"), "storage \(k)")
            storages[k] = (dtype, count, data)
        }
        guard case .list(let viewList) = try readPickle(&c) else { throw FormatError("tar: bad storage view list") }
        for v in viewList {
            guard case .tuple(let t) = v, t.count == 4, let offset = t[2].int, let count = t[3].int else { throw FormatError("tar: bad storage view") }
            let target = try key(t[0], "view key"), rootKey = try key(t[1], "view root")
            guard let root = storages[rootKey] else { throw FormatError("tar: view of unknown storage \(rootKey)") }
            guard offset >= 0, count >= 0, offset <= root.count, count <= root.count - offset else {
                throw FormatError("tar: storage view \(target) is outside storage \(rootKey)")
            }
            views[target] = StorageRef(key: rootKey, dtype: root.dtype, count: count, viewOffset: offset)
        }

        // Tensors: key → strided window.
        var tensors: [String: TensorRef] = [:]
        c = ByteCursor(tensorsData)
        guard let m = try readPickle(&c).int, m >= 0, m <= tensorsData.count else { throw FormatError("tar: bad tensor count") }
        for _ in 0..<m {
            guard case .tuple(let t) = try readPickle(&c), t.count == 3 else { throw FormatError("tar: bad tensor header") }
            let k = try key(t[0], "tensor key"), storageKey = try key(t[1], "tensor storage")
            let rank = Int(try c.le(Int32.self, "rank of tensor \(k)"))
            guard (0...64).contains(rank) else { throw FormatError("tar: tensor \(k) has rank \(rank)") }
            _ = try c.slice(4, "padding")
            var shape: [Int] = [], strides: [Int] = []
            for _ in 0..<rank { shape.append(Int(try c.le(Int64.self, "size of tensor \(k)"))) }
            for _ in 0..<rank { strides.append(Int(try c.le(Int64.self, "stride of tensor \(k)"))) }
            let offset = Int(try c.le(Int64.self, "offset of tensor \(k)"))
            let storage: StorageRef
            if let v = views[storageKey] { storage = v }
            else if let s = storages[storageKey] { storage = StorageRef(key: storageKey, dtype: s.dtype, count: s.count) }
            else { throw FormatError("tar: tensor \(k) uses unknown storage \(storageKey)") }
            tensors[k] = TensorRef(storage: storage, offset: offset, shape: shape, strides: strides)
        }

        var u = Unpickler(pickleData)
        let (pairs, notes) = try StateDictSelection.select(try u.load())
        var dict = try StateDictSelection.materialize(
            pairs, fileSize: bytes.count, bigEndian: false, tensorForKey: tensors,
            storage: { ref in
                guard let s = storages[ref.key] else { throw FormatError("tar: storage \(ref.key) is missing") }
                return s.data
            },
            release: release)
        dict.notes = notes
        dict.format = .torchTar
        return dict
    }
}

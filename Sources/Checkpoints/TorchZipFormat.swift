// torch.save's zip format (PyTorch >= 1.6): `<root>/data.pkl` is the pickled object, whose
// persistent ids ('storage', FloatStorage, key, location, numel) name the stored records
// `<root>/data/<key>`; `<root>/byteorder` says "little" or "big" (absent in early files:
// little). The root folder is the file's stem at save time, so it is found, not assumed.

import Pickle

enum TorchZipFormat {
    /// The `data.pkl` entry of a torch zip, if there is one (at the top level or one folder down).
    static func pickleEntry(_ entries: [ZipEntry]) -> ZipEntry? {
        entries.first { e in
            e.name == "data.pkl" || (e.name.hasSuffix("/data.pkl") && e.name.dropLast("/data.pkl".count).firstIndex(of: "/") == nil)
        }
    }

    static func load(_ bytes: UnsafeRawBufferPointer, entries: [ZipEntry], pickle: ZipEntry,
                     release: (UnsafeRawBufferPointer) -> Void) throws -> StateDict {
        let root = String(pickle.name.dropLast("data.pkl".count))
        var records: [String: ZipEntry] = [:]
        var bigEndian = false
        for e in entries {
            if e.name == root + "byteorder" {
                let order = try ZipReader.storedData(e, in: bytes).utf8String
                guard order == "little" || order == "big" else { throw FormatError("byteorder record says \(order ?? "?")") }
                bigEndian = order == "big"
            } else if e.name.hasPrefix(root + "data/") {
                records[String(e.name.dropFirst(root.count + 5))] = e
            }
        }
        var unpickler = Unpickler(try ZipReader.storedData(pickle, in: bytes))
        let object = try unpickler.load()
        let (pairs, notes) = try StateDictSelection.select(object)
        var dict = try StateDictSelection.materialize(
            pairs, fileSize: bytes.count, bigEndian: bigEndian,
            storage: { ref in
                guard let record = records[ref.key] else { throw FormatError("storage record \(root)data/\(ref.key) is missing") }
                let data = try ZipReader.storedData(record, in: bytes)
                let needed = try checkedMul(ref.viewOffset + ref.count, ref.dtype.elementSize, "size of storage \(ref.key)")
                guard needed <= data.count else {
                    throw FormatError("storage \(ref.key) declares \(needed) bytes but its record holds \(data.count)")
                }
                return data
            },
            release: release)
        dict.notes = notes
        dict.format = .torchZip
        return dict
    }
}

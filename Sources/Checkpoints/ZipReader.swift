// A small, bounded zip reader for the archives torch.save writes.
//
// Why not a zip library: PyTorch (through miniz) writes every record *stored* (uncompressed),
// aligned to 64 bytes, so reading a checkpoint needs only the central directory and the local
// header offsets; the tensor bytes are then read in place from the memory map, with no copy and
// no dependency. Deflate appears only in the rare one-member "legacy zip" wrapper, which the
// Files module's `Inflate.rawDeflate` handles. Everything is checked: the end record is searched
// only in the last 64 KiB + 22 bytes, zip64 fields are used when the 32-bit ones are saturated,
// the entry count is bounded by the directory size, and every entry's data must lie inside the file.

import Pickle

/// One file in a zip archive.
struct ZipEntry {
    let name: String
    /// 0 = stored, 8 = deflated.
    let method: UInt16
    /// Where the (possibly compressed) data starts in the archive.
    let dataOffset: Int
    let compressedSize: Int
    let uncompressedSize: Int
    var isDirectory: Bool { name.hasSuffix("/") }
}

enum ZipReader {
    static let localSignature: UInt32 = 0x0403_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    /// The entries of the archive in `bytes`, in central-directory order.
    static func entries(_ bytes: UnsafeRawBufferPointer) throws -> [ZipEntry] {
        let size = bytes.count
        guard size >= 22 else { throw FormatError("zip: file too short (\(size) bytes) for an end-of-directory record") }
        // The end of central directory record: 22 bytes plus a comment of at most 65535 bytes.
        var eocd = -1
        var p = size - 22
        let lowest = max(0, size - 22 - 65535)
        while p >= lowest {
            if bytes.loadUnaligned(fromByteOffset: p, as: UInt32.self) == endSignature.littleEndian { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else { throw FormatError("zip: no end-of-central-directory record") }
        var c = ByteCursor(bytes, at: eocd + 4)
        let disk = try c.le(UInt16.self), cdDisk = try c.le(UInt16.self)
        _ = try c.le(UInt16.self)
        var count = Int(try c.le(UInt16.self))
        var cdSize = Int(try c.le(UInt32.self))
        var cdOffset = Int(try c.le(UInt32.self))
        guard disk == 0 || disk == 0xFFFF, cdDisk == 0 || cdDisk == 0xFFFF else {
            throw FormatError("zip: multi-disk archives are not supported")
        }
        // Zip64: a locator sits just before the end record and points at the zip64 end record.
        if eocd >= 20, bytes.loadUnaligned(fromByteOffset: eocd - 20, as: UInt32.self) == zip64LocatorSignature.littleEndian {
            var l = ByteCursor(bytes, at: eocd - 20 + 8)
            let z64 = try checkedInt(try l.le(UInt64.self), "zip64 end record offset")
            var z = ByteCursor(bytes, at: 0)
            guard z64 <= size - 56 else { throw FormatError("zip: zip64 end record offset \(z64) is outside the file") }
            z.position = z64
            guard try z.le(UInt32.self) == zip64EndSignature else { throw FormatError("zip: bad zip64 end record signature") }
            z.position += 8 + 2 + 2 + 4 + 4 + 8  // record size, versions, disk numbers, entries on this disk
            count = try checkedInt(try z.le(UInt64.self), "zip64 entry count")
            cdSize = try checkedInt(try z.le(UInt64.self), "zip64 directory size")
            cdOffset = try checkedInt(try z.le(UInt64.self), "zip64 directory offset")
        }
        guard cdOffset <= size, cdSize <= size - cdOffset else {
            throw FormatError("zip: central directory (offset \(cdOffset), \(cdSize) bytes) is outside the \(size)-byte file")
        }
        guard count <= cdSize / 46 else { throw FormatError("zip: \(count) entries cannot fit in a \(cdSize)-byte directory") }

        let directory = UnsafeRawBufferPointer(rebasing: bytes[cdOffset..<(cdOffset + cdSize)])
        var d = ByteCursor(directory)
        var result: [ZipEntry] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            guard try d.le(UInt32.self, "entry \(i) signature") == centralSignature else {
                throw FormatError("zip: bad central directory signature for entry \(i)")
            }
            d.position += 4  // versions
            let flags = try d.le(UInt16.self)
            let method = try d.le(UInt16.self)
            d.position += 8  // time, date, crc
            var compressed = UInt64(try d.le(UInt32.self))
            var uncompressed = UInt64(try d.le(UInt32.self))
            let nameLength = Int(try d.le(UInt16.self))
            let extraLength = Int(try d.le(UInt16.self))
            let commentLength = Int(try d.le(UInt16.self))
            d.position += 8  // disk, internal and external attributes
            var localOffset = UInt64(try d.le(UInt32.self, "entry \(i) header"))
            let nameBytes = try d.slice(nameLength, "entry \(i) name")
            guard let name = nameBytes.utf8String else { throw FormatError("zip: entry \(i) name is not UTF-8") }
            var extra = ByteCursor(try d.slice(extraLength, "entry \(i) extra field"))
            _ = try d.slice(commentLength, "entry \(i) comment")
            // Zip64 extended information: only the saturated fields are present, in this order.
            while extra.remaining >= 4 {
                let id = try extra.le(UInt16.self), len = Int(try extra.le(UInt16.self))
                var field = ByteCursor(try extra.slice(len, "zip64 field of \(name)"))
                guard id == 0x0001 else { continue }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try field.le(UInt64.self, "zip64 size of \(name)") }
                if compressed == 0xFFFF_FFFF { compressed = try field.le(UInt64.self, "zip64 size of \(name)") }
                if localOffset == 0xFFFF_FFFF { localOffset = try field.le(UInt64.self, "zip64 offset of \(name)") }
            }
            guard flags & 1 == 0 else { throw FormatError("zip: entry \(name) is encrypted") }
            let offset = try checkedInt(localOffset, "zip: local header offset of \(name)")
            let csize = try checkedInt(compressed, "zip: compressed size of \(name)")
            let usize = try checkedInt(uncompressed, "zip: size of \(name)")
            // The local header repeats the name; its extra field (PyTorch's alignment padding) may differ.
            var local = ByteCursor(bytes)
            guard offset <= size else { throw FormatError("zip: local header of \(name) at \(offset) is outside the file") }
            local.position = offset
            guard try local.le(UInt32.self, "local header of \(name)") == localSignature else {
                throw FormatError("zip: bad local header signature for \(name)")
            }
            local.position += 22
            let localName = Int(try local.le(UInt16.self, "local header of \(name)"))
            let localExtra = Int(try local.le(UInt16.self, "local header of \(name)"))
            guard localName == nameLength else { throw FormatError("zip: local header name of \(name) differs from the directory's") }
            _ = try local.slice(localName + localExtra, "local header of \(name)")
            let dataOffset = local.position
            guard csize <= size - dataOffset else {
                throw FormatError("zip: data of \(name) (\(csize) bytes at \(dataOffset)) runs past the end of the \(size)-byte file")
            }
            guard method == 0 || method == 8 else { throw FormatError("zip: entry \(name) uses unsupported compression method \(method)") }
            guard method != 0 || csize == usize else { throw FormatError("zip: stored entry \(name) has different sizes") }
            result.append(ZipEntry(name: name, method: method, dataOffset: dataOffset, compressedSize: csize, uncompressedSize: usize))
        }
        return result
    }

    /// The bytes of a stored entry, in place.
    static func storedData(_ entry: ZipEntry, in bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else { throw FormatError("zip: entry \(entry.name) is compressed; PyTorch writes stored entries") }
        return UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
    }
}

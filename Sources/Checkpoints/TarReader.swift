// A bounded reader for the POSIX tar archives of PyTorch's pre-0.4 format: 512-byte headers,
// octal (or base-256) sizes, PAX extended headers skipped, members read in place.

import Pickle

enum TarReader {
    /// Whether `bytes` look like a ustar archive.
    static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 512 && Array(bytes[257..<262]) == Array("ustar".utf8)
    }

    /// The regular files of the archive: name → bytes (in place).
    static func members(_ bytes: UnsafeRawBufferPointer) throws -> [String: UnsafeRawBufferPointer] {
        var result: [String: UnsafeRawBufferPointer] = [:]
        var position = 0
        while position + 512 <= bytes.count {
            let header = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + 512)])
            if header.allSatisfy({ $0 == 0 }) { break }  // end of archive
            guard Array(header[257..<262]) == Array("ustar".utf8) else { throw FormatError("tar: bad header at offset \(position)") }
            let size = try sizeField(UnsafeRawBufferPointer(rebasing: header[124..<136]), at: position)
            let type = header[156]
            let name = field(UnsafeRawBufferPointer(rebasing: header[0..<100]))
            let prefix = field(UnsafeRawBufferPointer(rebasing: header[345..<500]))
            let dataStart = position + 512
            guard size <= bytes.count - dataStart else {
                throw FormatError("tar: member \(name) (\(size) bytes) runs past the end of the file")
            }
            if type == UInt8(ascii: "0") || type == 0 {
                result[prefix.isEmpty ? name : prefix + "/" + name] = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + size)])
            }
            let padded = try checkedAdd(size, 511, "tar member size") / 512 * 512
            position = try checkedAdd(dataStart, padded, "tar offset")
        }
        return result
    }

    private static func field(_ raw: UnsafeRawBufferPointer) -> String {
        let end = raw.firstIndex(of: 0) ?? raw.count
        return String(decoding: raw[..<end], as: UTF8.self)
    }

    private static func sizeField(_ raw: UnsafeRawBufferPointer, at position: Int) throws -> Int {
        if raw[0] & 0x80 != 0 {  // base-256 (GNU) for sizes >= 8 GiB
            var v = 0
            for (i, b) in raw.enumerated() {
                let digit = Int(i == 0 ? b & 0x7F : b)
                guard v <= (Int.max >> 8) else { throw FormatError("tar: size at offset \(position) is too large") }
                v = v << 8 | digit
            }
            return v
        }
        var v = 0
        for b in raw {
            if b == 0 || b == 0x20 { if v > 0 { break } else { continue } }
            guard b >= 0x30, b <= 0x37 else { throw FormatError("tar: bad size field at offset \(position)") }
            v = try checkedAdd(try checkedMul(v, 8, "tar size"), Int(b - 0x30), "tar size")
        }
        return v
    }
}

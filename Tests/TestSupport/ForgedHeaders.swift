// Image files whose header claims another size than their data holds: decompression bombs made
// from small real files, for the decoders' and the loaders' limit tests.

/// `jpeg` with the size in its first SOFn frame header replaced by `width` × `height` (each < 65536).
public func forgedJPEG(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
    var bytes = jpeg
    var i = 2
    while i + 9 < bytes.count {
        guard bytes[i] == 0xFF else { i += 1; continue }
        let marker = bytes[i + 1]
        let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
        if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
            bytes[i + 5] = UInt8(height >> 8); bytes[i + 6] = UInt8(height & 0xFF)
            bytes[i + 7] = UInt8(width >> 8); bytes[i + 8] = UInt8(width & 0xFF)
            return bytes
        }
        i += 2 + length
    }
    preconditionFailure("forgedJPEG: no SOF marker")
}

/// `png` with its IHDR size replaced by `width` × `height` (and the chunk's CRC recomputed).
public func forgedPNG(_ png: [UInt8], width: Int, height: Int) -> [UInt8] {
    var bytes = png
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), depth, type, ... CRC at 29.
    func put(_ value: Int, at offset: Int) {
        for k in 0..<4 { bytes[offset + k] = UInt8((value >> (24 - 8 * k)) & 0xFF) }
    }
    put(width, at: 16)
    put(height, at: 20)
    put(Int(crc32(bytes[12..<29])), at: 29)
    return bytes
}

/// The CRC-32 of PNG chunks (ISO 3309, the one zlib computes).
public func crc32<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

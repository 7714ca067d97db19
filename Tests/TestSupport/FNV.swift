// FNV-1a 64-bit digests, as the fixture scripts write them.

import Tensors

/// FNV-1a 64 of `bytes`, as 16 hex digits.
public func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return hex16(h)
}

/// FNV-1a 64 of a tensor's little-endian float32 bytes, as 16 hex digits.
public func fnv1a64(_ t: Tensor) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    t.withUnsafeBufferPointer { buf in
        for v in buf {
            var bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { for b in $0 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
        }
    }
    return hex16(h)
}

private func hex16(_ h: UInt64) -> String {
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

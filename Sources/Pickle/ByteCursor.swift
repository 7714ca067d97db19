// A bounds-checked reader over raw bytes. Every read checks the remaining length first and throws
// `FormatError` instead of reading past the end; integer fields are little-endian unless named.
// `package`, with the checked-arithmetic helpers: Checkpoints' zip, tar and safetensors parsers use
// them too.

/// Reads little-endian fields from a byte buffer, never past its end.
package struct ByteCursor {
    package let bytes: UnsafeRawBufferPointer
    package var position: Int

    package init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    package var remaining: Int { bytes.count - position }
    package var isAtEnd: Bool { position >= bytes.count }

    /// Throws unless `n` more bytes are available.
    package func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw FormatError("truncated: \(what()) needs \(n) bytes at offset \(position), \(max(remaining, 0)) left")
        }
    }

    package mutating func u8(_ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        try need(1, what())
        defer { position += 1 }
        return bytes[position]
    }

    package mutating func le<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String = "integer") throws -> T {
        try need(MemoryLayout<T>.size, what())
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// The next `n` bytes, without copying.
    package mutating func slice(_ n: Int, _ what: @autoclosure () -> String = "data") throws -> UnsafeRawBufferPointer {
        try need(n, what())
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    /// Bytes up to (not including) the next newline, which is consumed; at most `limit` bytes.
    package mutating func line(limit: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        var end = position
        let stop = min(bytes.count, position + limit + 1)
        while end < stop, bytes[end] != 0x0A { end += 1 }
        guard end < stop else { throw FormatError("\(what()): no newline within \(limit) bytes at offset \(position)") }
        defer { position = end + 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<end])
    }
}

/// Converts an untrusted unsigned size to `Int`, or throws.
package func checkedInt<T: BinaryInteger>(_ value: T, _ what: @autoclosure () -> String) throws -> Int {
    guard let v = Int(exactly: value), v >= 0 else { throw FormatError("\(what()) \(value) is out of range") }
    return v
}

/// `a * b` for untrusted sizes, or throws on overflow.
package func checkedMul(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    guard !o, r >= 0 else { throw FormatError("\(what()) overflows") }
    return r
}

/// `a + b` for untrusted sizes, or throws on overflow.
package func checkedAdd(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
    let (r, o) = a.addingReportingOverflow(b)
    guard !o else { throw FormatError("\(what()) overflows") }
    return r
}

extension UnsafeRawBufferPointer {
    /// The bytes as a UTF-8 string, or nil if they are not valid UTF-8.
    package var utf8String: String? { String(validating: self, as: UTF8.self) }
}

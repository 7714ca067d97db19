// A growable malloc'd byte buffer: what gzip decompression fills when the final size is not known
// in advance. It grows with realloc (no copy of a zero-filled array first) and is freed with the
// object.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Traps

/// Bytes in a malloc'd buffer that can grow; freed when the object is released.
public final class ByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer?
    /// Bytes in use.
    public private(set) var count = 0
    /// Bytes allocated.
    public private(set) var capacity = 0

    init(capacity: Int) { reserve(capacity) }

    deinit { free(base) }

    /// Calls `body` with the bytes in use (valid only inside `body`, which keeps the buffer alive).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: base, count: count)) }
    }

    /// Grows the allocation to at least `n` bytes.
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        guard let p = realloc(base, n) else { trap("out of memory reserving \(n) bytes") }
        base = p
        capacity = n
    }

    /// Marks the first `n` bytes (written through `base`) as used.
    func setCount(_ n: Int) {
        trapUnless(n >= 0 && n <= capacity, "ByteBuffer count \(n) outside 0...\(capacity)")
        count = n
    }
}

// A read-only memory map of a whole file, so that a 500 MB checkpoint costs the tensors made from
// it rather than a second copy. The mapping is private and read-only: `release` (madvise
// DONTNEED) only makes the kernel forget clean pages, which are read again from the file if they
// are touched later, so a reader can keep its peak memory near the size of what it converted.
// An empty file has no mapping (mmap of length 0 fails); its `bytes` are empty.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a regular file, memory-mapped read-only for the life of the object.
///
/// A file truncated by another process while it is mapped can still raise SIGBUS when the lost
/// pages are read, as with any memory map.
public final class MappedFile: @unchecked Sendable {
    /// The file.
    public let path: String
    /// The whole file; valid while this object is alive (keep it alive with `withExtendedLifetime`
    /// while the bytes are in use: a local variable may be released after its last use).
    public let bytes: UnsafeRawBufferPointer

    /// Maps the regular file at `path`.
    /// - Throws: `FileError` naming `path` (kinds as for `readWholeFile`; a failed mmap is `.io`).
    public init(path: String) throws(FileError) {
        self.path = path
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FileError(.io, path: path, "cannot map \(size) bytes: \(errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// Drops the resident pages wholly inside `range` (byte offsets into `bytes`). A hint: the
    /// bytes stay readable.
    public func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
    }

    /// Drops the resident pages of `part`, a slice of `bytes` (ignored if it is not one).
    public func release(_ part: UnsafeRawBufferPointer) {
        guard let p = part.baseAddress, let base = bytes.baseAddress, p >= base, p + part.count <= base + bytes.count else { return }
        let start = p - base
        release(start..<(start + part.count))
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

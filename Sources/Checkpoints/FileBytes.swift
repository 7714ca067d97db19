// The bytes of a checkpoint: a read-only memory map of the file (so a 500 MB checkpoint costs its
// tensors, not a second copy), or an owned buffer for a member inflated out of a zip wrapper.
// After a tensor has been converted, `release` drops the pages of its source bytes from the
// resident set (madvise DONTNEED on a private read-only mapping just forgets clean pages), so the
// peak stays near the size of the converted tensors.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes of a whole file (memory-mapped) or of an owned buffer.
final class FileBytes {
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps `path` read-only.
    init(mapping path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError("cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FormatError("cannot stat: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FormatError("not a regular file") }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FormatError("cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    /// Takes ownership of `buffer` (allocated with `UnsafeMutableRawBufferPointer.allocate`).
    init(owning buffer: UnsafeMutableRawBufferPointer) {
        bytes = UnsafeRawBufferPointer(buffer)
        mapped = false
    }

    /// Drops the resident pages wholly inside `range` (a hint; the bytes stay readable).
    func release(_ range: Range<Int>) {
        guard mapped, let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
    }

    deinit {
        if let base = bytes.baseAddress {
            if mapped { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
            else { base.deallocate() }
        }
    }
}

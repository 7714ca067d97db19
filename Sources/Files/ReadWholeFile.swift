// Whole-file reads with plain POSIX calls: the size comes from fstat, the buffer is allocated once
// and filled by read(2) in a loop that retries on EINTR; a file that gives fewer bytes than its
// size said (it shrank while being read) is an error of kind `.truncated`, never a short result.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of the regular file at `path`.
///
/// - Throws: `FileError` naming `path`: `.notFound` when it cannot be opened because it (or a
///   directory on the way) is missing, `.notRegularFile` for a directory or device, `.truncated`
///   when the file shrank while being read, `.io` otherwise.
public func readWholeFile(_ path: String) throws(FileError) -> [UInt8] {
    let (fd, size) = try openRegularFile(path)
    defer { close(fd) }
    var failure: String?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
        var done = 0
        while done < size {
            let n = read(fd, buf.baseAddress! + done, size - done)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failure = errnoText(); break }
            if n == 0 { break }
            done += n
        }
        count = done
    }
    if let failure { throw FileError(.io, path: path, "read failed: \(failure)") }
    guard bytes.count == size else { throw FileError(.truncated, path: path, "file shrank while being read") }
    return bytes
}

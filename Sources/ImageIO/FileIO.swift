// Whole-file reads and atomic writes (temporary file in the same directory, fsync, rename).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why `readWholeFile` failed: the path and a short reason ("cannot open: No such file or directory").
public struct WholeFileReadError: Error, Sendable {
    public let path: String
    public let reason: String
    /// The file was opened but gave fewer bytes than its size said (it shrank while being read).
    public let truncated: Bool
}

/// The whole regular file at `path`, read with plain POSIX calls (retrying on EINTR). Modules
/// above ImageIO wrap the failure in their own error type.
public func readWholeFile(_ path: String) throws(WholeFileReadError) -> [UInt8] {
    func fail(_ reason: String, truncated: Bool = false) -> WholeFileReadError {
        WholeFileReadError(path: path, reason: reason, truncated: truncated)
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw fail("cannot open: \(FileIO.errnoText())") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw fail("cannot stat: \(FileIO.errnoText())") }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw fail("not a regular file") }
    let size = Int(st.st_size)
    var failure: String?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
        var done = 0
        while done < size {
            let n = read(fd, buf.baseAddress! + done, size - done)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { failure = FileIO.errnoText(); break }
            if n == 0 { break }
            done += n
        }
        count = done
    }
    if let failure { throw fail("read failed: \(failure)") }
    guard bytes.count == size else { throw fail("file shrank while being read", truncated: true) }
    return bytes
}

enum FileIO {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        do throws(WholeFileReadError) {
            return try readWholeFile(path)
        } catch {
            throw ImageError(.io, file: path, error.reason)
        }
    }

    /// Writes `bytes` to `path` atomically: a crash leaves either the old file or the new one.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError(.io, file: path, "cannot create \(temp): \(errnoText())") }
        var ok = false
        defer { if !ok { unlink(temp) } }
        let failure: String? = bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return errnoText() }
                done += n
            }
            return fsync(fd) == 0 ? nil : errnoText()
        }
        if close(fd) != 0 && failure == nil { throw ImageError(.io, file: path, "close failed: \(errnoText())") }
        if let failure { throw ImageError(.io, file: path, "write failed: \(failure)") }
        guard rename(temp, path) == 0 else { throw ImageError(.io, file: path, "rename failed: \(errnoText())") }
        ok = true
    }
}

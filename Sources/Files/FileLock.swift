// An advisory lock that one process holds on an output path while it writes it, so that a second
// writer of the same file is refused instead of interleaving with the first. The lock is `flock`
// on a small file next to the destination, `DIR/.NAME.lock`, never the destination itself (an
// atomic write renames a new inode over the destination, so a lock on it would be lost at the
// first save). The lock file holds "pid N: WHAT" of the holder so that the refusal can name it.
//
// The kernel drops an flock when its process dies, however it dies: a `kill -9` leaves the lock
// file behind but not the lock, and the next writer takes it over. `release()` removes the file
// while still holding the lock; a process that opened the old file just before that notices, by
// comparing the inode it locked with the one the path names, and opens the new file instead.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock on writing `path`, held until `release()` (or deinit).
public final class FileLock: @unchecked Sendable {
    /// The destination the lock protects.
    public let path: String
    /// The lock file, `DIR/.NAME.lock`.
    public let lockPath: String
    private var fd: Int32

    /// `DIR/.NAME.lock` for the destination `path`.
    public static func lockPath(for path: String) -> String {
        let (directory, name) = splitPath(path)
        return directory + ".\(name).lock"
    }

    /// Takes the lock on writing `path` without waiting.
    /// - Parameter owner: what holds it, in words ("vision train"), recorded for a refused writer.
    /// - Throws: `FileError` of kind `.locked` naming `path` and the process holding the lock, or
    ///   `.io` when the lock file cannot be created.
    public init(path: String, owner: String) throws(FileError) {
        self.path = path
        lockPath = FileLock.lockPath(for: path)
        fd = -1
        for _ in 0..<100 {
            let candidate = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard candidate >= 0 else {
                throw FileError(.io, path: path, "cannot create the lock file \(lockPath): \(errnoText())")
            }
            if flock(candidate, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = FileLock.readHolder(candidate)
                close(candidate)
                if code == EWOULDBLOCK {
                    throw FileError(.locked, path: path, "is being written by another process (\(holder.isEmpty ? "unknown" : holder)); "
                        + "wait for it to finish or write elsewhere (lock file \(lockPath))")
                }
                throw FileError(.io, path: path, "cannot lock \(lockPath): \(errnoText(code))")
            }
            // The holder before us may have removed the file between our open and our flock.
            var locked = stat(), named = stat()
            if fstat(candidate, &locked) == 0, stat(lockPath, &named) == 0, locked.st_ino == named.st_ino, locked.st_dev == named.st_dev {
                fd = candidate
                break
            }
            close(candidate)
        }
        guard fd >= 0 else { throw FileError(.io, path: path, "cannot lock \(lockPath): it keeps being replaced") }
        let record = Array("pid \(getpid()): \(owner)\n".utf8)
        _ = ftruncate(fd, 0)
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// What the lock file says about its holder ("pid N: WHAT"), or "".
    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return "" }
        let text = String(decoding: buffer[..<n], as: UTF8.self)
        return String(text.prefix { $0 != "\n" })
    }

    /// Removes the lock file and drops the lock. Does nothing the second time.
    public func release() {
        guard fd >= 0 else { return }
        unlink(lockPath)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

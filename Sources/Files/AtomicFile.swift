// Atomic replacement of a file: the new content goes to a temporary file in the destination's
// directory (`DIR/.NAME.TAG-PID-RANDOM`, created with O_EXCL, so it is on the same file system
// and never someone else's file), which is written, fsync'd, closed, renamed over the
// destination, and then the directory itself is fsync'd so that the rename survives a crash too.
// A crash or an error leaves either the old file or the new one, never half of one: any failure
// (and any error the caller's writing code throws, or an `AtomicFile` dropped without `commit`)
// closes and removes the temporary file. Writers that produce their bytes in pieces (a
// checkpoint, a download) get the open `AtomicFile` and call `write` as often as they like.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file being written under a temporary name, to be renamed over `path` by `commit()`.
///
/// Not thread-safe: use it from one thread at a time.
public final class AtomicFile: @unchecked Sendable {
    /// The destination.
    public let path: String
    /// The temporary file next to the destination.
    public let temporaryPath: String
    private var fd: Int32
    private var finished = false

    /// Creates the temporary file `DIR/.NAME.TAG-PID-RANDOM` for the destination `path`.
    /// - Parameter tag: names the kind of temporary (`tmp`, `part` for downloads, ...), so that a
    ///   caller can recognise its own leftovers by `temporaryPrefix(for:tag:)`.
    /// - Throws: `FileError` naming `path` when the temporary file cannot be created.
    public init(path: String, tag: String = "tmp") throws(FileError) {
        self.path = path
        temporaryPath = AtomicFile.temporaryPrefix(for: path, tag: tag) + "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileError(.io, path: path, "cannot create a temporary file in \(AtomicFile.directory(of: path)): \(errnoText())")
        }
    }

    /// `DIR/.NAME.TAG-`: how the temporary files of `path` with this tag begin.
    public static func temporaryPrefix(for path: String, tag: String) -> String {
        let (directory, name) = splitPath(path)
        return directory + ".\(name).\(tag)-"
    }

    /// Removes the temporary files `DIR/.NAME.TAG-PID-RANDOM` of `path` whose process `PID` no
    /// longer runs (left by a process that was killed while writing); returns the paths removed.
    /// Those of running processes, this one included, are left alone.
    @discardableResult
    public static func removeStaleTemporaries(of path: String, tag: String = "tmp") -> [String] {
        let prefix = temporaryPrefix(for: path, tag: tag)
        let directory = AtomicFile.directory(of: path)
        let (folder, stem) = splitPath(prefix)
        guard let dir = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(dir) {
            // d_name is read up to its NUL only: a dirent record can end before the 256 bytes its type declares.
            let name = String(cString: UnsafeRawPointer(entry).advanced(by: direntNameOffset).assumingMemoryBound(to: CChar.self))
            if name.hasPrefix(stem) { names.append(name) }
        }
        closedir(dir)
        var removed: [String] = []
        for name in names {
            guard let pid = Int32(name.dropFirst(stem.count).prefix { $0 != "-" }), pid > 0 else { continue }
            guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let full = folder + name
            if unlink(full) == 0 { removed.append(full) }
        }
        return removed
    }

    /// The directory holding `path` ("." for a bare name, "/" for a file at the root).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Appends `bytes` (retrying on EINTR and short writes).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard !finished else { throw FileError(.io, path: path, "write after the file was committed or discarded") }
        guard writeAll(fd, bytes) else { throw FileError(.io, path: path, "write failed: \(errnoText())") }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(FileError) {
        var failure: FileError?
        bytes.withUnsafeBytes { raw in
            do throws(FileError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Flushes the temporary file to disk, closes it, renames it over `path` and flushes the
    /// directory. On failure the temporary file is removed and `path` is left as it was.
    public func commit() throws(FileError) {
        guard !finished else { throw FileError(.io, path: path, "commit after the file was committed or discarded") }
        finished = true
        var failure: FileError?
        if fsync(fd) != 0 { failure = FileError(.io, path: path, "fsync failed: \(errnoText())") }
        if close(fd) != 0, failure == nil { failure = FileError(.io, path: path, "close failed: \(errnoText())") }
        if failure == nil, rename(temporaryPath, path) != 0 {
            failure = FileError(.io, path: path, "cannot rename \(temporaryPath) into place: \(errnoText())")
        }
        if let failure {
            unlink(temporaryPath)
            throw failure
        }
        try syncDirectory()
    }

    /// Makes the rename durable. A directory that cannot be opened, or a file system that cannot
    /// sync directories (EINVAL), is passed over: the new file is in place either way.
    private func syncDirectory() throws(FileError) {
        let directory = AtomicFile.directory(of: path)
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        defer { close(dfd) }
        if fsync(dfd) != 0, errno != EINVAL {
            throw FileError(.io, path: path, "renamed into place, but fsync of the directory \(directory) failed: \(errnoText())")
        }
    }

    /// Closes and removes the temporary file; `path` is left as it was. Does nothing after
    /// `commit()` or a first `discard()`.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryPath)
    }

    deinit { discard() }
}

/// Where `d_name` starts in a `dirent`.
private let direntNameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!

/// `path` as its directory with the trailing slash ("" for a bare name) and its last component.
func splitPath(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[...slash]), String(path[path.index(after: slash)...]))
}

/// Writes all of `bytes` to `fd`, retrying on EINTR and short writes; false (with `errno` set) on failure.
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    var done = 0
    while done < bytes.count {
        let n = write(fd, base + done, bytes.count - done)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        done += n
    }
    return true
}

/// Replaces the file at `path` atomically with what `body` writes to the `AtomicFile` it is given.
///
/// If `body` throws, or writing, syncing or renaming fails, the temporary file is removed, `path`
/// keeps its old content (or stays absent) and the error is rethrown: `body`'s own error as it
/// is, the rest as `FileError` naming `path`.
public func writeAtomically(to path: String, tag: String = "tmp", _ body: (AtomicFile) throws -> Void) throws {
    let file = try AtomicFile(path: path, tag: tag)
    do {
        try body(file)
        try file.commit()
    } catch {
        file.discard()
        throw error
    }
}

/// Replaces the file at `path` atomically with `bytes` (see `writeAtomically(to:tag:_:)`).
public func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileError) {
    let file = try AtomicFile(path: path)
    do throws(FileError) {
        try file.write(bytes)
        try file.commit()
    } catch {
        file.discard()
        throw error
    }
}

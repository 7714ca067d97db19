// Finds out before training starts whether the checkpoint (or metrics) file can be written, by
// creating and removing a temporary file next to it: hours of training are not lost to a typo in
// the output path or a read-only directory. The checkpoint writer creates its temporary file in
// the same directory, so the probe tests exactly what the writes will need.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks that files can be written at a path.
public enum OutputProbe {
    /// Throws `TrainingError.outputNotWritable` unless a file can be created in `path`'s directory
    /// (and `path` itself, if it exists, is a regular file that can be replaced).
    public static func checkWritable(_ path: String) throws {
        func fail(_ reason: String) -> TrainingError { .outputNotWritable(path: path, reason: reason) }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw fail("the path names a directory, not a file") }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let dir = directory.isEmpty ? "/" : directory
        var info = stat()
        guard stat(dir, &info) == 0 else { throw fail("directory \(dir) does not exist (\(reason(errno)))") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw fail("\(dir) is not a directory") }
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw fail("it exists and is not a regular file")
        }
        let probe = (directory.isEmpty ? "/" : directory + "/") + ".\(base).probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw fail("cannot create a file in \(dir) (\(reason(errno)))") }
        var byte: UInt8 = 0
        let wrote = write(fd, &byte, 1)
        let writeError = errno
        close(fd)
        unlink(probe)
        guard wrote == 1 else { throw fail("cannot write a file in \(dir) (\(reason(writeError)))") }
    }

    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}

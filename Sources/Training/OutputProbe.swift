// Finds out before training starts whether the checkpoint (or metrics) file can be written, by
// creating and removing a temporary file next to it: hours of training are not lost to a typo in
// the output path or a read-only directory. The probe is an `AtomicFile` (the Files module's
// atomic writer, which the checkpoint writer uses too) that writes one byte and is discarded, so
// it tests exactly what the writes will need.

import Files
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
        let dir = AtomicFile.directory(of: path)
        var info = stat()
        guard stat(dir, &info) == 0 else { throw fail("directory \(dir) does not exist (\(errnoText()))") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw fail("\(dir) is not a directory") }
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw fail("it exists and is not a regular file")
        }
        do throws(FileError) {
            let probe = try AtomicFile(path: path, tag: "probe")
            defer { probe.discard() }
            try probe.write([0])
        } catch {
            throw fail(error.reason)
        }
    }
}

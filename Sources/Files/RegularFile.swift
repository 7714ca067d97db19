// Opening a file for reading, for both whole-file reads and memory maps: open read-only with
// close-on-exec, fstat the open descriptor (so the checks describe the file actually read, not
// whatever the path names a moment later) and refuse anything but a regular file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open descriptor on the regular file at `path`, and its size. The caller closes it.
func openRegularFile(_ path: String) throws(FileError) -> (fd: Int32, size: Int) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let code = errno
        throw FileError(code == ENOENT || code == ENOTDIR ? .notFound : .io, path: path, "cannot open: \(errnoText(code))")
    }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        let failure = FileError(.io, path: path, "cannot stat: \(errnoText())")
        close(fd)
        throw failure
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        close(fd)
        throw FileError(.notRegularFile, path: path, "not a regular file")
    }
    return (fd, Int(st.st_size))
}

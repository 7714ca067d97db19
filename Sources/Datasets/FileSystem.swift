// The few file-system calls the datasets need, over POSIX directly: directory entries the way
// Python's os.scandir classifies them (a symlink to a directory is a directory, a broken link is a
// file), a directory's identity for cycle checks, and whole-file reads (the Files module's) with
// errors naming the file.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Files

enum FileSystem {
    /// The identity of a directory (device, inode), following symlinks; nil if it is not one.
    static func directoryID(_ path: String) -> DirectoryID? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    static func isDirectory(_ path: String) -> Bool { directoryID(path) != nil }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// The entries of `path` (without "." and ".."), split like os.walk: subdirectories (symlinks
    /// followed) and everything else. Unsorted.
    static func entries(of path: String) throws -> (directories: [String], files: [String]) {
        guard let dir = opendir(path) else {
            throw DatasetError.file(.notFound, path, "cannot list directory: \(errnoText())")
        }
        defer { closedir(dir) }
        var directories: [String] = [], files: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let type = entry.pointee.d_type
            let isDir: Bool
            if type == UInt8(DT_DIR) { isDir = true }
            else if type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) { isDir = isDirectory(join(path, name)) }
            else { isDir = false }
            if isDir { directories.append(name) } else { files.append(name) }
        }
        return (directories, files)
    }

    /// os.path.join for two components.
    static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty || a.hasSuffix("/") { return a + b }
        return a + "/" + b
    }

    /// The whole file at `path` (Files' reader, its failure as a DatasetError).
    static func read(_ path: String) throws -> [UInt8] {
        do throws(FileError) {
            return try readWholeFile(path)
        } catch {
            throw DatasetError(error)
        }
    }
}

extension DatasetError {
    /// A Files failure as a dataset error, with the same "path: reason" message: data that ends
    /// early or is malformed is `.corrupt`, a file that cannot be opened or read `.notFound`.
    init(_ error: FileError) {
        switch error.kind {
        case .truncated, .corrupt: self = .file(.corrupt, error.path, error.reason)
        case .notFound, .notRegularFile, .io, .locked: self = .file(.notFound, error.path, error.reason)
        }
    }
}

/// A directory's (device, inode), to notice symlink cycles.
struct DirectoryID: Hashable {
    let device: UInt64
    let inode: UInt64
}

/// Python's string order (code points), which is the order of UTF-8 bytes.
@inline(__always)
func pythonOrder(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

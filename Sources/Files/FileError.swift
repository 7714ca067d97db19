// The one error type of the Files module, and the C library's text for `errno`. Every failure
// names the file (or the stream) and says what went wrong in words; `kind` sorts failures for the
// callers that report them differently (a missing dataset file vs a truncated one). Modules above
// wrap a `FileError` in their own public error type and keep its `reason` as their message.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file (or compressed stream) that could not be read, written, mapped or decompressed.
public struct FileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        /// The file could not be opened or found (missing, no permission, a path component is not a directory).
        case notFound
        /// The path names something other than a regular file (a directory, a device, ...).
        case notRegularFile
        /// A system call failed while reading, writing, syncing, renaming or mapping.
        case io
        /// The data ends early: the file shrank while it was read, or a compressed stream stops short.
        case truncated
        /// Compressed data is malformed, or larger than its declared size or the caller's limit.
        case corrupt
        /// Another process holds the lock on writing the file (`FileLock`).
        case locked
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// The file concerned (for an atomic write, the destination; for a stream, the caller's name for it).
    public let path: String
    /// The problem in words, without the path ("cannot open: No such file or directory").
    public let reason: String

    /// An error of `kind` about `path`, with `reason` in words.
    public init(_ kind: Kind, path: String, _ reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// "path: reason".
    public var description: String { "\(path): \(reason)" }
}

/// The C library's message for the error number `code` (by default the current `errno`), such as
/// "No such file or directory".
public func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

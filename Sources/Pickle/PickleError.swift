// Errors of the Pickle module. Parsers throw `FormatError`, a reason without a file name, and the
// public entry points attach the name (`withName`), so every message reads "file: problem".
// `FormatError` is `package`: Checkpoints' own parsers (zip, tar, safetensors) read bytes through
// the same `ByteCursor` and throw it too, and attach the name in their own error type.

import Files

/// A data pickle could not be read: the file (or the name given for bytes) and the problem.
public struct PickleError: Error, CustomStringConvertible, Sendable {
    /// The file involved.
    public let path: String
    /// What is wrong with it.
    public let reason: String
    public init(path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// A problem found while parsing bytes, before the file name is attached.
package struct FormatError: Error, CustomStringConvertible {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}

/// Runs `body`; a `FormatError` or `FileError` it throws is rethrown as `wrap(reason)`, the
/// caller's error type naming the file.
package func wrappingFormatErrors<T>(_ wrap: (String) -> any Error, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as FormatError {
        throw wrap(e.reason)
    } catch let e as FileError {
        throw wrap(e.reason)
    }
}

/// Runs `body`, its `FormatError` or `FileError` becoming a `PickleError` that names `path`.
func withName<T>(_ path: String, _ body: () throws -> T) throws -> T {
    try wrappingFormatErrors({ PickleError(path: path, $0) }, body)
}

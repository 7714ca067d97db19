// Errors from reading and writing checkpoint files. Every one names the file and the problem.
// The parsers throw Pickle's `FormatError` (a reason without a file name) and the Files module's
// `FileError`; `withPath` turns both into a `CheckpointError` at the public entry points.

import Pickle

/// A checkpoint could not be read or written.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// The file involved.
    public let path: String
    /// What is wrong with it.
    public let reason: String
    public init(path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// Runs `body`, its `FormatError` or `FileError` becoming a `CheckpointError` that names `path`.
func withPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
    try wrappingFormatErrors({ CheckpointError(path: path, $0) }, body)
}

// Errors from reading and writing checkpoint files. Every one names the file and the problem.

/// A checkpoint could not be read or written.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    /// The file involved.
    public let path: String
    /// What is wrong with it.
    public let reason: String
    public init(path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// A problem found while parsing bytes, before the file name is attached (see `withPath`).
struct FormatError: Error, CustomStringConvertible {
    let reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

/// Runs `body`, turning a `FormatError` into a `CheckpointError` that names `path`.
func withPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as FormatError {
        throw CheckpointError(path: path, e.reason)
    }
}

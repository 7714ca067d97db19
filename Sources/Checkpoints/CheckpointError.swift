// Errors from reading and writing checkpoint files. Every one names the file and the problem.

/// A checkpoint could not be read or written.
public struct CheckpointError: Error, CustomStringConvertible {
    /// The file involved.
    public let path: String
    /// What is wrong with it.
    public let reason: String
    public init(path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

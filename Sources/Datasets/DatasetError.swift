// The error of the Datasets module: every message names the file or directory and the problem.
// Images that fail to decode keep ImageIO's own `ImageError` (which names the file too).

/// A dataset could not be found, listed or read.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        /// A root directory or data file does not exist or cannot be opened.
        case notFound
        /// An image folder has no class subdirectories.
        case noClasses
        /// Some class folders hold no valid file.
        case emptyClasses
        /// A data file is malformed (bad magic, truncated, sizes that do not agree, ...).
        case corrupt
        /// A sample could not be turned into a tensor (a transform failed, shapes differ in a batch).
        case sample
    }

    public var kind: Kind
    /// The file or directory concerned.
    public var path: String
    /// The whole message, which names `path`.
    public var message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// A problem with the file at `path`: the message is "path: problem".
    static func file(_ kind: Kind, _ path: String, _ problem: String) -> DatasetError {
        DatasetError(kind, path: path, "\(path): \(problem)")
    }

    public var description: String { message }
}

// The one error type of ImageIO: every failure names the file (or "<memory>") and the problem.
import Files

/// A failure to read, decode or encode an image.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        /// The file could not be opened, read or written.
        case io
        /// The bytes are neither JPEG nor PNG (or the file is empty).
        case unrecognizedFormat
        /// The data is corrupt (bad marker, bad CRC, inconsistent header, ...).
        case corrupt
        /// The data ends early.
        case truncated
        /// The dimensions exceed the configured pixel limit (or are zero).
        case badDimensions
        /// A warning from the codec, raised because `warningsAreErrors` is set.
        case warning
        /// Encoding failed or the image cannot be encoded in that format.
        case encoding
    }

    public var kind: Kind
    /// The file path, or "<memory>" for in-memory data.
    public var file: String
    /// What is wrong, in words.
    public var message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }

    /// A file that could not be read or written (Files' error), as an `.io` error naming it.
    init(_ error: FileError) {
        self.init(.io, file: error.path, error.reason)
    }
}

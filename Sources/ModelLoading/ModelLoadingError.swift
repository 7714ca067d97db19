// The one error type of model loading: a sentence that names the model, file or zoo name and what
// is wrong, ready to print (`vision` prints it after "vision: ").

/// Why a model could not be resolved, built or loaded: an unknown name, weights that are not in
/// the cache, a file that does not say which architecture it holds, or weights that do not fit.
public struct ModelLoadingError: Error, Sendable, CustomStringConvertible {
    /// The full message, naming the file or name and the problem.
    public let description: String

    /// An error with `description` as its message.
    public init(_ description: String) { self.description = description }
}

/// How a loss combines its per-element values (PyTorch's `reduction=` argument).
public enum Reduction: String, Sendable, CaseIterable {
    /// The (weighted) mean over elements: PyTorch's default.
    case mean
    /// The sum over elements.
    case sum
    /// No reduction: one loss per element (per sample for classification losses).
    case none
}

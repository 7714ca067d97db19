// Loss objects holding their options, for code written like PyTorch's `nn.CrossEntropyLoss()`.

import Tensors

/// Cross-entropy on logits (PyTorch's `nn.CrossEntropyLoss`); see `crossEntropy(_:_:...)`.
public struct CrossEntropyLoss: Sendable {
    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction
    public var labelSmoothing: Float

    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean, labelSmoothing: Float = 0) {
        self.weight = weight; self.ignoreIndex = ignoreIndex; self.reduction = reduction; self.labelSmoothing = labelSmoothing
    }

    /// The loss of `logits` [N, C] against class indices [N] (or probabilities [N, C]).
    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        crossEntropy(logits, targets, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
                     labelSmoothing: labelSmoothing)
    }

    /// The loss of `logits` [N, C] against integer class indices.
    public func callAsFunction(_ logits: Tensor, _ targets: [Int]) -> Tensor {
        crossEntropy(logits, targets, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
                     labelSmoothing: labelSmoothing)
    }
}

/// Negative log-likelihood on log-probabilities (PyTorch's `nn.NLLLoss`); see `nllLoss(_:_:...)`.
public struct NLLLoss: Sendable {
    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction

    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight; self.ignoreIndex = ignoreIndex; self.reduction = reduction
    }

    public func callAsFunction(_ logProbs: Tensor, _ targets: Tensor) -> Tensor {
        nllLoss(logProbs, targets, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }

    public func callAsFunction(_ logProbs: Tensor, _ targets: [Int]) -> Tensor {
        nllLoss(logProbs, targets, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}

/// Mean squared error (PyTorch's `nn.MSELoss`); see `mseLoss(_:_:reduction:)`.
public struct MSELoss: Sendable {
    public var reduction: Reduction
    public init(reduction: Reduction = .mean) { self.reduction = reduction }
    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { mseLoss(input, target, reduction: reduction) }
}

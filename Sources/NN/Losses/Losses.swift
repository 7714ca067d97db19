// Loss functions with PyTorch's semantics, composed from autograd ops (so gradients come for free).
//
// Cross-entropy with class indices, as in PyTorch's `cross_entropy` (C classes, ε = label smoothing,
// w = class weights or all ones, logp = log_softmax(logits)):
//   nll_i    = −w[y_i]·logp[i, y_i]
//   smooth_i = −Σ_c w[c]·logp[i, c]                 (0 for an ignored sample)
//   loss_i   = (1 − ε)·nll_i + (ε / C)·smooth_i
//   mean     = Σ_i loss_i / Σ_{i not ignored} w[y_i]   (the weighted mean of NLL; PyTorch divides the
//                                                       smoothing term by the same sum)
// With probability targets p (same shape as the logits) PyTorch instead uses
//   loss_i = −Σ_c w[c]·((1 − ε)·p[i, c] + ε / C)·logp[i, c], and mean divides by the sample count.

import Tensors
import Traps

/// Cross-entropy between `logits` and class targets (PyTorch's `F.cross_entropy`).
///
/// - Parameters:
///   - logits: unnormalised scores [N, C] (also [C], or [N, C, d1, ...] for dense prediction).
///   - targets: class indices as integral `Float`s, shape [N] (or [], or [N, d1, ...]). A tensor
///     with the same shape as `logits` is taken as class probabilities instead, as PyTorch does
///     with floating-point targets.
///   - weight: optional per-class weights [C].
///   - ignoreIndex: samples whose target equals it contribute nothing (nor to the mean's divisor).
///   - reduction: `.mean` (weighted mean), `.sum`, or `.none` (one value per sample).
///   - labelSmoothing: ε in [0, 1]: the target becomes (1 − ε)·one-hot + ε/C.
public func crossEntropy(_ logits: Tensor, _ targets: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                         reduction: Reduction = .mean, labelSmoothing: Float = 0) -> Tensor {
    let context = "crossEntropy(logits \(describe(logits.shape)), targets \(describe(targets.shape)))"
    guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
        trap("\(context): labelSmoothing must be in [0, 1], got \(labelSmoothing)")
    }
    if targets.shape == logits.shape && logits.rank >= 1 {
        return crossEntropyWithProbabilities(logits, targets, weight: weight, reduction: reduction,
                                             labelSmoothing: labelSmoothing, context: context)
    }
    let input = ClassRows(logits, context: context)
    return classificationLoss(input.rows.logSoftmax(dim: 1), input, targets, weight: weight, ignoreIndex: ignoreIndex,
                              reduction: reduction, labelSmoothing: labelSmoothing, context: context)
}

/// Cross-entropy with class targets given as integers.
public func crossEntropy(_ logits: Tensor, _ targets: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100,
                         reduction: Reduction = .mean, labelSmoothing: Float = 0) -> Tensor {
    crossEntropy(logits, Tensor(shape: [targets.count], data: targets.map(Float.init)), weight: weight,
                 ignoreIndex: ignoreIndex, reduction: reduction, labelSmoothing: labelSmoothing)
}

/// Negative log-likelihood of class targets under log-probabilities (PyTorch's `F.nll_loss`):
/// `−w[y_i]·input[i, y_i]`, reduced by the weighted mean, the sum, or not at all.
///
/// - Parameters:
///   - logProbs: log-probabilities [N, C] (also [C] or [N, C, d1, ...]), e.g. from `logSoftmax(dim: 1)`.
///   - targets: class indices as integral `Float`s, shape [N] (or [] or [N, d1, ...]).
public func nllLoss(_ logProbs: Tensor, _ targets: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: Reduction = .mean) -> Tensor {
    let context = "nllLoss(input \(describe(logProbs.shape)), targets \(describe(targets.shape)))"
    let input = ClassRows(logProbs, context: context)
    return classificationLoss(input.rows, input, targets, weight: weight, ignoreIndex: ignoreIndex,
                              reduction: reduction, labelSmoothing: 0, context: context)
}

/// Negative log-likelihood with class targets given as integers.
public func nllLoss(_ logProbs: Tensor, _ targets: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: Reduction = .mean) -> Tensor {
    nllLoss(logProbs, Tensor(shape: [targets.count], data: targets.map(Float.init)), weight: weight,
            ignoreIndex: ignoreIndex, reduction: reduction)
}

/// Mean squared error (PyTorch's `F.mse_loss`): `(input − target)²`, reduced.
/// Unlike PyTorch, which broadcasts with a warning, differing shapes are an error: broadcasting an
/// [N] target against an [N, 1] input silently computes an N×N loss.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    guard input.shape == target.shape else {
        trap("mseLoss: input \(describe(input.shape)) and target \(describe(target.shape)) must have the same shape")
    }
    let diff = input - target
    let squared = diff * diff
    switch reduction {
    case .mean: return squared.mean()
    case .sum: return squared.sum()
    case .none: return squared
    }
}

// MARK: - Shared implementation

/// NLL with optional label smoothing on rows of log-probabilities [M, C] (see the file header).
private func classificationLoss(_ logp: Tensor, _ input: ClassRows, _ targets: Tensor, weight: Tensor?, ignoreIndex: Int,
                                reduction: Reduction, labelSmoothing: Float, context: String) -> Tensor {
    guard targets.shape == input.sampleShape else {
        trap("\(context): expected class-index targets of shape \(describe(input.sampleShape))")
    }
    let c = input.classes
    let w = classWeights(weight, classes: c, context: context)
    let t = ClassTargets(labels: targets.scalars, classes: c, weight: w, ignoreIndex: ignoreIndex, context: context)
    var perSample = -(logp * t.selector).sum(dim: 1)
    if labelSmoothing > 0 {
        let weighted = weight.map { logp * $0.detached().reshape([1, c]) } ?? logp
        let smooth = -weighted.sum(dim: 1) * t.valid
        perSample = perSample * (1 - labelSmoothing) + smooth * (labelSmoothing / Float(c))
    }
    switch reduction {
    case .mean: return perSample.sum() / t.weightSum
    case .sum: return perSample.sum()
    case .none: return perSample.reshape(input.sampleShape)
    }
}

/// Cross-entropy against class probabilities with the logits' shape.
private func crossEntropyWithProbabilities(_ logits: Tensor, _ probabilities: Tensor, weight: Tensor?, reduction: Reduction,
                                           labelSmoothing: Float, context: String) -> Tensor {
    let input = ClassRows(logits, context: context)
    let c = input.classes
    let p = ClassRows(probabilities.detached(), context: context).rows
    var target = labelSmoothing > 0 ? p * (1 - labelSmoothing) + labelSmoothing / Float(c) : p
    if let w = classWeights(weight, classes: c, context: context) {
        target = target * Tensor(shape: [1, c], data: w)
    }
    let perSample = -(input.rows.logSoftmax(dim: 1) * target).sum(dim: 1)
    switch reduction {
    case .mean: return perSample.mean()
    case .sum: return perSample.sum()
    case .none: return perSample.reshape(input.sampleShape)
    }
}

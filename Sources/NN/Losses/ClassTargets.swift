// Integer class targets for classification losses: validation and the constant tensors that
// select the target log-probability of each sample.
//
// Losses are composed from public autograd ops, so "gather logp[i, y_i]" is written as
// `(logp * selector).sum(dim: 1)` where `selector` is a constant [M, C] tensor holding w[y_i] at
// (i, y_i) and 0 elsewhere (all zeros for an ignored sample). That costs one extra M×C pass,
// negligible next to any network producing the logits; a fused log-softmax + NLL op can replace it.

import Tensors
import Traps

/// Class-index targets resolved against logits flattened to [M, C].
struct ClassTargets {
    /// Constant [M, C]: w[y_i] at (i, y_i), else 0.
    let selector: Tensor
    /// Constant [M]: 1 for samples that count, 0 for ignored ones.
    let valid: Tensor
    /// Σ w[y_i] over samples that count: the denominator of PyTorch's weighted mean.
    let weightSum: Float

    /// Validates `labels` (one per row of the [M, C] input) and builds the selector.
    /// `context` names the loss and the caller's shapes for error messages.
    init(labels: [Float], classes: Int, weight: [Float]?, ignoreIndex: Int, context: String) {
        let m = labels.count
        var sel = [Float](repeating: 0, count: m * classes)
        var valid = [Float](repeating: 0, count: m)
        var total: Float = 0
        for (i, v) in labels.enumerated() {
            guard v.rounded() == v, let y = Int(exactly: v) else {
                trap("\(context): target \(v) at position \(i) is not an integer class index")
            }
            if y == ignoreIndex { continue }
            guard y >= 0 && y < classes else {
                trap("\(context): target \(y) at position \(i) is out of bounds for \(classes) classes")
            }
            let w = weight?[y] ?? 1
            sel[i * classes + y] = w
            valid[i] = 1
            total += w
        }
        selector = Tensor(shape: [m, classes], data: sel)
        self.valid = Tensor(shape: [m], data: valid)
        weightSum = total
    }
}

/// A classification input ([C], [N, C] or [N, C, d1, ...]) reshaped to rows of class scores [M, C],
/// with the per-sample shape: that of class-index targets and of results under `Reduction.none`.
struct ClassRows {
    let rows: Tensor
    let classes: Int
    let sampleShape: [Int]

    init(_ input: Tensor, context: String) {
        switch input.rank {
        case 0:
            trap("\(context): expected input [N, C] or [N, C, d1, ...], got a scalar")
        case 1:
            rows = input.reshape([1, input.shape[0]])
            sampleShape = []
        case 2:
            rows = input
            sampleShape = [input.shape[0]]
        default:
            // [N, C, d...] -> [N, d..., C] -> [N·d..., C]
            let order = [0] + Array(2..<input.rank) + [1]
            rows = input.permute(order).reshape([-1, input.shape[1]])
            sampleShape = [input.shape[0]] + Array(input.shape[2...])
        }
        classes = input.rank == 1 ? input.shape[0] : input.shape[1]
    }
}

/// Checks a class-weight vector against the number of classes and returns its values.
func classWeights(_ weight: Tensor?, classes: Int, context: String) -> [Float]? {
    guard let weight else { return nil }
    guard weight.shape == [classes] else {
        trap("\(context): weight must have shape [\(classes)] (one per class), got \(describe(weight.shape))")
    }
    return weight.scalars
}

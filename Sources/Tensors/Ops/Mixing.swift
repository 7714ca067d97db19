// Small ops of the efficient families: ShuffleNet's channel shuffle and torchvision's stochastic
// depth (EfficientNet, ConvNeXt, Swin), with autograd through the ops they are made of.

import Traps

extension Tensor {
    /// Interleaves the channel groups of an (N, C, ...) input (torchvision's `channel_shuffle`,
    /// ShuffleNetV2): channel g·(C/groups) + i moves to i·groups + g.
    public func channelShuffle(groups: Int) -> Tensor {
        guard rank >= 2, groups >= 1, shape[1] % groups == 0 else {
            trap("channel_shuffle: \(groups) groups do not divide the channels of input \(describe(shape))")
        }
        let (n, c) = (shape[0], shape[1]), rest = Array(shape.dropFirst(2))
        return reshape([n, groups, c / groups] + rest).transpose(1, 2).reshape([n, c] + rest)
    }

    /// torchvision's `stochastic_depth`: in training, zeroes whole samples (`mode` `.row`, one draw
    /// per sample) or the whole input (`.batch`) with probability `p` and scales what survives by
    /// 1/(1 − p); the input itself when not training or p = 0. The draws come from `generator`'s
    /// uniform stream (not PyTorch's bernoulli draws).
    public func stochasticDepth<G: TensorRandomSource>(p: Float, mode: StochasticDepthMode, training: Bool,
                                                       generator: inout G) -> Tensor {
        guard p >= 0, p <= 1 else { trap("stochastic_depth: drop probability has to be between 0 and 1, but got \(p)") }
        guard training, p > 0 else { return self }
        let survival = 1 - p
        let draws = mode == .row ? (rank >= 1 ? shape[0] : 1) : 1
        let noiseShape = mode == .row && rank >= 1 ? [shape[0]] + Array(repeating: 1, count: rank - 1) : Array(repeating: 1, count: rank)
        var keep = [Float](repeating: 0, count: draws)
        for i in 0..<draws { keep[i] = generator.nextUniform() < survival ? (survival > 0 ? 1 / survival : 0) : 0 }
        return self * Tensor(shape: noiseShape, data: keep)
    }
}

/// Whether stochastic depth drops samples one by one or the whole batch at once.
public enum StochasticDepthMode: String, Sendable {
    /// One draw per sample (torchvision's "row", what its models use).
    case row
    /// One draw for the whole input.
    case batch
}

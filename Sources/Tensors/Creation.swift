// Factory functions: constants, ranges and random tensors.

import Foundation
import Traps

extension Tensor {
    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.base.initialize(repeating: value, count: t.count)
        return t
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// A tensor of zeros with this tensor's shape.
    public func zerosLike() -> Tensor { .zeros(shape) }

    /// A tensor of ones with this tensor's shape.
    public func onesLike() -> Tensor { .ones(shape) }

    /// Values `start, start+step, ...` below `end` (PyTorch's `arange`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        if step == 0 { trap("arange step must be non-zero") }
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let t = Tensor(uninitializedShape: [n])
        for i in 0..<n { t.storage.base[i] = start + Float(i) * step }
        return t
    }

    /// Uniform samples in [`low`, `high`).
    public static func uniform<G: TensorRandomSource>(_ shape: [Int], low: Float = 0, high: Float = 1,
                                                      generator: inout G) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        generator.fillUniform(t.storage.base, count: t.count, low: low, high: high)
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal<G: TensorRandomSource>(_ shape: [Int], mean: Float = 0, std: Float = 1,
                                                     generator: inout G) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        generator.fillNormal(t.storage.base, count: t.count, mean: mean, std: std)
        return t
    }

    /// Uniform samples in [0, 1) from the process-wide generator (PyTorch's `torch.rand`, same values for the same seed).
    public static func rand(_ shape: [Int]) -> Tensor {
        TorchGenerator.withDefault { uniform(shape, generator: &$0) }
    }

    /// Standard normal samples from the process-wide generator (PyTorch's `torch.randn`).
    public static func randn(_ shape: [Int]) -> Tensor {
        TorchGenerator.withDefault { normal(shape, generator: &$0) }
    }
}

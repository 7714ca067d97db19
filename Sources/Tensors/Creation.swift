// Factory functions: constants, ranges and random tensors.

import Foundation

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
        if step == 0 { fatalError("SwiftVision: arange step must be non-zero") }
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let t = Tensor(uninitializedShape: [n])
        for i in 0..<n { t.storage.base[i] = start + Float(i) * step }
        return t
    }

    /// Uniform samples in [`low`, `high`).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               generator: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.base
        for i in 0..<t.count { p[i] = low + (high - low) * generator.nextUniform() }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              generator: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.storage.base
        // Box–Muller gives two independent normals per pair of uniforms: use both.
        var i = 0
        while i < t.count {
            let u1 = 1 - generator.nextUniform()  // (0, 1]
            let u2 = generator.nextUniform()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let theta = 2 * Float.pi * u2
            p[i] = mean + std * r * Foundation.cos(theta)
            if i + 1 < t.count { p[i + 1] = mean + std * r * Foundation.sin(theta) }
            i += 2
        }
        return t
    }

    /// Uniform samples in [0, 1) from the default generator (PyTorch's `torch.rand`).
    public static func rand(_ shape: [Int]) -> Tensor {
        RandomGenerator.withDefault { uniform(shape, generator: &$0) }
    }

    /// Standard normal samples from the default generator (PyTorch's `torch.randn`).
    public static func randn(_ shape: [Int]) -> Tensor {
        RandomGenerator.withDefault { normal(shape, generator: &$0) }
    }
}

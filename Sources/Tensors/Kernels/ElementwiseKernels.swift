// The elementwise kernels used by the ops: one small struct per function.

import Foundation

@usableFromInline struct AddKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}
@usableFromInline struct SubKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}
@usableFromInline struct MulKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
}
@usableFromInline struct DivKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
}
@usableFromInline struct PowKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { powf(a, b) }
}
/// PyTorch's NaN-propagating maximum.
@usableFromInline struct MaximumKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : (a > b ? a : b) }
}
@usableFromInline struct MinimumKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : (a < b ? a : b) }
}
/// Share of the gradient of `maximum` that goes to `a`: 1 where a > b, ½ on ties, else 0.
@usableFromInline struct MaximumGradShareKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : (a == b ? 0.5 : 0) }
}
/// `a^b · ln a` with PyTorch's convention of 0 where a == 0 and b >= 0 (the exponent's gradient factor).
@usableFromInline struct PowExponentGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { a == 0 && b >= 0 ? 0 : powf(a, b) * logf(a) }
}

/// A comparison producing 1 or 0.
@usableFromInline struct CompareKernel: BinaryKernel {
    @usableFromInline enum Relation { case eq, ne, lt, le, gt, ge }
    @usableFromInline let relation: Relation
    @inlinable init(_ relation: Relation) { self.relation = relation }
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float {
        let r: Bool
        switch relation {
        case .eq: r = a == b
        case .ne: r = a != b
        case .lt: r = a < b
        case .le: r = a <= b
        case .gt: r = a > b
        case .ge: r = a >= b
        }
        return r ? 1 : 0
    }
}

@usableFromInline struct AddScalarKernel: UnaryKernel {
    @usableFromInline let value: Float
    @inlinable init(_ value: Float) { self.value = value }
    @inlinable func callAsFunction(_ x: Float) -> Float { x + value }
}
@usableFromInline struct MulScalarKernel: UnaryKernel {
    @usableFromInline let value: Float
    @inlinable init(_ value: Float) { self.value = value }
    @inlinable func callAsFunction(_ x: Float) -> Float { x * value }
}
@usableFromInline struct PowScalarKernel: UnaryKernel {
    @usableFromInline let exponent: Float
    @inlinable init(_ exponent: Float) { self.exponent = exponent }
    @inlinable func callAsFunction(_ x: Float) -> Float {
        exponent == 2 ? x * x : (exponent == 1 ? x : (exponent == 0.5 ? x.squareRoot() : powf(x, exponent)))
    }
}
/// Clamps to [low, high]; NaN stays NaN, as in PyTorch.
@usableFromInline struct ClampKernel: UnaryKernel {
    @usableFromInline let low: Float, high: Float
    @inlinable init(_ low: Float, _ high: Float) { self.low = low; self.high = high }
    @inlinable func callAsFunction(_ x: Float) -> Float { x.isNaN ? x : Swift.min(Swift.max(x, low), high) }
}
/// 1 where low <= x <= high (clamp's gradient mask).
@usableFromInline struct InRangeKernel: UnaryKernel {
    @usableFromInline let low: Float, high: Float
    @inlinable init(_ low: Float, _ high: Float) { self.low = low; self.high = high }
    @inlinable func callAsFunction(_ x: Float) -> Float { x >= low && x <= high ? 1 : 0 }
}

@usableFromInline struct NegKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { -x }
}
@usableFromInline struct ExpKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { expf(x) }
}
@usableFromInline struct LogKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { logf(x) }
}
@usableFromInline struct SqrtKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x.squareRoot() }
}
@usableFromInline struct AbsKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { Swift.abs(x) }
}
@usableFromInline struct SignKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}
@usableFromInline struct ReLUKernel: UnaryKernel {
    @inlinable init() {}
    // NaN propagates, as in PyTorch (x > 0 is false for NaN, so test the other way round).
    @inlinable func callAsFunction(_ x: Float) -> Float { x <= 0 ? 0 : x }
}
/// 1 where x > 0 (the ReLU gradient mask).
@usableFromInline struct PositiveKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x > 0 ? 1 : 0 }
}
@usableFromInline struct TanhKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { tanhf(x) }
}
/// y·(1−y): sigmoid's derivative from its output.
@usableFromInline struct SigmoidGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
}
/// g·(1−y²): tanh's derivative from its output.
@usableFromInline struct TanhGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
}
/// g where x > 0, else 0.
@usableFromInline struct ReLUGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : 0 }
}

// The activations of the mobile and efficient families (torchvision's MobileNet, EfficientNet,
// RegNet, ConvNeXt): forward kernels and their gradients from the input, each at PyTorch's
// boundaries (which side of a kink gets which slope). SiLU, sigmoid and exact GELU run on
// CKernels' vectors instead (VectorActivations.swift).

/// min(max(x + 3, 0), 6) / 6; NaN stays NaN.
@usableFromInline struct HardsigmoidKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x.isNaN ? x : Swift.min(Swift.max(x + 3, 0), 6) / 6 }
}
/// g/6 for −3 < x < 3, else 0.
@usableFromInline struct HardsigmoidGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ x: Float) -> Float { x > -3 && x < 3 ? g / 6 : 0 }
}
/// x · min(max(x + 3, 0), 6) / 6.
@usableFromInline struct HardswishKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x.isNaN ? x : x * Swift.min(Swift.max(x + 3, 0), 6) / 6 }
}
/// 0 up to −3, g·(x/3 + ½) below 3, g from 3 on (PyTorch's choices at the kinks).
@usableFromInline struct HardswishGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ x: Float) -> Float {
        x <= -3 ? 0 : (x < 3 ? g * (x / 3 + 0.5) : g)
    }
}
/// min(max(x, 0), 6); NaN stays NaN.
@usableFromInline struct ReLU6Kernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float { x.isNaN ? x : Swift.min(Swift.max(x, 0), 6) }
}
/// g for 0 < x < 6, else 0 (PyTorch's hardtanh gradient).
@usableFromInline struct ReLU6GradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 && x < 6 ? g : 0 }
}
/// GELU, tanh approximation: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
@usableFromInline struct GELUTanhKernel: UnaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }
}
/// The tanh approximation's derivative.
@usableFromInline struct GELUTanhGradKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ g: Float, _ x: Float) -> Float {
        let inner = 0.79788456080286536 * (x + 0.044715 * x * x * x)
        let t = tanhf(inner)
        let dInner = 0.79788456080286536 * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner)
    }
}

// SiLU, sigmoid and exact GELU run on CKernels' vectors (own exp and erfc approximations). On
// every ISA path the machine has, forward and gradient must stay within a few float ulps of the
// functions computed in Double by libm, over the whole range that matters (including the tails,
// where GELU's left side is tiny and must keep its relative accuracy), on lengths that exercise
// the partial last vector, and must keep NaN and infinities as PyTorch does.

import Foundation
import Testing
import Tensors

@Suite struct VectorActivationTests {
    static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func gelu(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }
    static func siluGrad(_ x: Double) -> Double { let s = sigmoid(x); return s * (1 + x * (1 - s)) }
    static func geluGrad(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot()) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    /// 20 001 points over [−20, 20] plus a dense stretch near 0, 1 003 elements off a vector multiple.
    static let inputs: [Float] = {
        let wide: [Float] = (0...20_000).map { (i: Int) -> Float in Float(-20 + Double(i) * 0.002) }
        let nearZero: [Float] = (0..<1003).map { (i: Int) -> Float in Float(Double(i - 501) * 1e-5) }
        return wide + nearZero
    }()

    /// Largest error relative to max(|reference|, floor): `floor` keeps underflowing tails from
    /// demanding relative accuracy below the smallest normal floats.
    static func worstError(_ got: [Float], _ x: [Float], _ f: (Double) -> Double, floor: Double = 1e-30) -> (Double, Float) {
        var worst = 0.0, at: Float = 0
        for (y, xi) in zip(got, x) {
            let ref = f(Double(xi))
            let e = abs(Double(y) - ref) / max(abs(ref), floor)
            if e > worst { worst = e; at = xi }
        }
        return (worst, at)
    }

    @Test(arguments: KernelISA.supported)
    func forwardMatchesDoublePrecision(_ isa: KernelISA) {
        KernelISA.$override.withValue(isa) {
            let x = Tensor(shape: [Self.inputs.count], data: Self.inputs)
            let silu = Self.worstError(x.silu().scalars, Self.inputs, Self.silu)
            let sigmoid = Self.worstError(x.sigmoid().scalars, Self.inputs, Self.sigmoid)
            let gelu = Self.worstError(x.gelu().scalars, Self.inputs, Self.gelu)
            #expect(silu.0 < 5e-7, "silu on \(isa): relative error \(silu.0) at x = \(silu.1)")
            #expect(sigmoid.0 < 5e-7, "sigmoid on \(isa): relative error \(sigmoid.0) at x = \(sigmoid.1)")
            #expect(gelu.0 < 1e-6, "gelu on \(isa): relative error \(gelu.0) at x = \(gelu.1)")
        }
    }

    @Test(arguments: KernelISA.supported)
    func gradientsMatchDoublePrecision(_ isa: KernelISA) throws {
        try KernelISA.$override.withValue(isa) {
            let values = Self.inputs
            for (name, apply, reference) in [
                ("silu", { (t: Tensor) in t.silu() }, Self.siluGrad),
                ("gelu", { (t: Tensor) in t.gelu() }, Self.geluGrad),
                ("sigmoid", { (t: Tensor) in t.sigmoid() }, { (x: Double) in Self.sigmoid(x) * (1 - Self.sigmoid(x)) }),
            ] as [(String, (Tensor) -> Tensor, (Double) -> Double)] {
                let x = Tensor(shape: [values.count], data: values).requiringGrad()
                try apply(x).sum().backward()
                let grad = x.grad!.scalars
                // Absolute error: near 1 − σ(x) ≈ 0 float rounding costs 1e-6, in PyTorch's formula too.
                let (worst, at) = Self.worstError(grad, values, reference, floor: 1)
                #expect(worst < 2e-6, "\(name)′ on \(isa): error \(worst) at x = \(at)")
            }
        }
    }

    @Test(arguments: KernelISA.supported)
    func specialValuesAsPyTorch(_ isa: KernelISA) {
        KernelISA.$override.withValue(isa) {
            let x = Tensor(shape: [5], data: [.nan, .infinity, -.infinity, 0, -0.0])
            let silu = x.silu().scalars, sigmoid = x.sigmoid().scalars, gelu = x.gelu().scalars
            #expect(silu[0].isNaN && sigmoid[0].isNaN && gelu[0].isNaN)
            #expect(silu[1] == .infinity && sigmoid[1] == 1 && gelu[1] == .infinity)
            // −∞ / (1 + ∞) and −∞ · 0 are NaN in PyTorch too.
            #expect(silu[2].isNaN && sigmoid[2] == 0 && gelu[2].isNaN)
            #expect(silu[3] == 0 && sigmoid[3] == 0.5 && gelu[3] == 0)
        }
    }
}

// Inference keeps linear weights packed for the GEMM (`foldBatchNormsForInference`) and normalises
// contiguous rows on CKernels' vectors. On every ISA path: the packed product equals the plain one
// (shapes that split rows, split columns, end in partial tiles and span several K blocks), the
// packing is dropped by train() and by a state-dict load, and is bypassed when a gradient is
// recorded; LayerNorm over the last dimension equals a Double reference.

import Testing
import NN
import Tensors

@Suite struct InferencePackingTests {
    struct Shape: CustomStringConvertible, Sendable {
        var rows: Int, inFeatures: Int, outFeatures: Int
        var description: String { "\(rows)×\(inFeatures)→\(outFeatures)" }
    }

    static let shapes = [
        Shape(rows: 3136, inFeatures: 96, outFeatures: 384),  // ConvNeXt-T stage 1: rows split
        Shape(rows: 49, inFeatures: 768, outFeatures: 3072),   // stage 4: columns split, 3 K blocks
        Shape(rows: 13, inFeatures: 300, outFeatures: 45),     // partial tiles and K blocks everywhere
        Shape(rows: 8, inFeatures: 5, outFeatures: 1),
    ]

    @Test(arguments: KernelISA.supported, shapes)
    func packedLinearEqualsPlain(_ isa: KernelISA, _ s: Shape) throws {
        try KernelISA.$override.withValue(isa) {
            var g = RandomGenerator(seed: 5)
            let linear = Linear(s.inFeatures, s.outFeatures)
            let x = Tensor.uniform([s.rows, s.inFeatures], low: -1, high: 1, generator: &g)
            let plain = withNoGrad { linear(x) }.scalars
            linear.foldBatchNormsForInference()
            let packed = withNoGrad { linear(x) }
            #expect(packed.shape == [s.rows, s.outFeatures])
            var worst: Float = 0
            for (a, b) in zip(packed.scalars, plain) { worst = Swift.max(worst, Swift.abs(a - b) / Swift.max(1, Swift.abs(b))) }
            #expect(worst <= 2e-6, "\(s) on \(isa): worst difference \(worst)")

            // A changed weight is seen after train() or a state-dict load, not before (the panels are a snapshot).
            linear.weight.value = linear.weight.value * 2
            let stale = withNoGrad { linear(x) }.scalars
            #expect(zip(stale, plain).allSatisfy { Swift.abs($0 - $1) <= 1e-4 * Swift.max(1, Swift.abs($1)) })
            linear.train()
            linear.eval()
            let fresh = withNoGrad { linear(x) }.scalars
            let bias = linear.bias!.value.scalars
            for (i, (f, p)) in zip(fresh, plain).enumerated().prefix(64) {
                let b = bias[i % s.outFeatures]
                #expect(Swift.abs(f - (2 * (p - b) + b)) <= 1e-4 * Swift.max(1, Swift.abs(f)))
            }

            // With a gradient wanted, the plain path runs and records.
            linear.foldBatchNormsForInference()
            let xg = x.requiringGrad()
            try linear(xg).sum().backward()
            #expect(xg.grad != nil)
            // A state-dict load drops the packed panels: the loaded weight (3 × the current 2W) is used.
            let tripled = linear.stateDict().map { ($0.name, $0.name == "weight" ? $0.tensor * 3 : $0.tensor) }
            try linear.loadStateDict(tripled)
            let loaded = withNoGrad { linear(x) }.scalars
            for (i, (l, p)) in zip(loaded, plain).enumerated().prefix(64) {
                let b = bias[i % s.outFeatures]
                #expect(Swift.abs(l - (6 * (p - b) + b)) <= 1e-4 * Swift.max(1, Swift.abs(l)), "\(s) on \(isa): row \(i / s.outFeatures)")
            }
        }
    }

    @Test(arguments: KernelISA.supported, [1, 7, 96, 768, 1001])
    func layerNormRowsMatchDouble(_ isa: KernelISA, _ d: Int) {
        KernelISA.$override.withValue(isa) {
            var g = RandomGenerator(seed: UInt64(d))
            let rows = 37
            // An offset far from 0 and a small spread: the two-pass variance must not cancel.
            let x = Tensor.uniform([rows, d], low: 99, high: 101, generator: &g)
            let gamma = Tensor.uniform([d], low: 0.5, high: 1.5, generator: &g)
            let beta = Tensor.uniform([d], low: -1, high: 1, generator: &g)
            for (w, b) in [(gamma, beta), (nil, nil)] as [(Tensor?, Tensor?)] {
                let y = Tensor.layerNorm(x, normalizedShape: [d], weight: w, bias: b, eps: 1e-6).scalars
                let xs = x.scalars, gs = gamma.scalars, bs = beta.scalars
                var worst = 0.0
                for r in 0..<rows {
                    let row = xs[(r * d)..<((r + 1) * d)].map(Double.init)
                    let mean = row.reduce(0, +) / Double(d)
                    let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
                    let rstd = 1 / (variance + 1e-6).squareRoot()
                    for i in 0..<d {
                        var ref = (row[i] - mean) * rstd
                        if w != nil { ref = ref * Double(gs[i]) + Double(bs[i]) }
                        worst = Swift.max(worst, Swift.abs(Double(y[r * d + i]) - ref))
                    }
                }
                // |x − μ| ≤ 1 at x ≈ 100: the float subtraction alone rounds to ~4e-6 of rstd·ulp(100).
                #expect(worst <= (d == 1 ? 1e-6 : 2e-4), "d = \(d) on \(isa): worst difference \(worst)")
            }
        }
    }
}

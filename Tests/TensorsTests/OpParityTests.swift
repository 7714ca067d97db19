// Every op's forward and backward against PyTorch (Fixtures/ops.json), and every backward against
// central finite differences.

import Testing
import Tensors
import TestSupport

@Suite struct OpParityTests {
    @Test(arguments: Fixtures.opCases + Fixtures.nnCases)
    func forwardAndBackwardMatchPyTorch(_ c: OpCase) throws {
        let xs = c.inputs.map { $0.tensor.requiringGrad() }
        let out = c.apply(xs)
        #expect(out.shape == c.output.shape, "\(c.name): shape")
        #expect(closeness(out.scalars, c.output.data) == nil, "\(c.name): \(closeness(out.scalars, c.output.data) ?? "")")
        guard let g = c.gradOutput, let grads = c.grads else { return }
        try out.backward(gradient: g.tensor)
        for (i, expected) in grads.enumerated() {
            guard let expected else { continue }
            let actual = try #require(xs[i].grad, "\(c.name): input \(i) has no gradient")
            #expect(actual.shape == expected.shape, "\(c.name): grad \(i) shape")
            let diff = closeness(actual.scalars, expected.data)
            #expect(diff == nil, "\(c.name): grad \(i): \(diff ?? "")")
        }
    }

    @Test(arguments: (Fixtures.opCases + Fixtures.nnCases).filter { $0.grads != nil && $0.isSmooth && $0.isSmallForFiniteDifferences })
    func backwardMatchesFiniteDifferences(_ c: OpCase) throws {
        // L = Σ out · w for the fixture's upstream gradient w; compare dL/dx with central differences.
        let w = c.gradOutput!.tensor
        let base = c.inputs.map(\.tensor)
        let xs = base.map { $0.requiringGrad() }
        try (c.apply(xs) * w).sum().backward()
        func loss(_ inputs: [Tensor]) -> Double {
            withNoGrad { zip(c.apply(inputs).scalars, w.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        }
        var checked = 0, kinks = 0
        for i in base.indices {
            let analytic = try #require(xs[i].grad).scalars
            for j in 0..<base[i].count {
                func numeric(_ h: Float) -> Float {
                    var plus = base, minus = base
                    plus[i].withUnsafeMutableBufferPointer { $0[j] += h }
                    minus[i].withUnsafeMutableBufferPointer { $0[j] -= h }
                    return Float((loss(plus) - loss(minus)) / (2 * Double(h)))
                }
                let (n1, n2) = (numeric(2e-3), numeric(1e-3))
                // Two step sizes that disagree mean a kink (max/min/abs/relu/clamp) lies within reach:
                // the function is not differentiable there, so that element says nothing.
                if Swift.abs(n1 - n2) > 1e-2 * Swift.abs(n1) + 1e-2 { kinks += 1; continue }
                checked += 1
                #expect(Swift.abs(n2 - analytic[j]) <= 2e-2 * Swift.abs(n2) + 2e-2,
                        "\(c.name): input \(i)[\(j)] analytic \(analytic[j]) vs numeric \(n2)")
            }
        }
        #expect(kinks * 4 <= checked, "\(c.name): too many non-smooth points (\(kinks) of \(checked + kinks))")
    }
}

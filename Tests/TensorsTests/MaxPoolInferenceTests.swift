// max_pool2d has several kernels: with indices (when autograd records) and values only (inference),
// and a SIMD one for 2×2 / stride 2. Each must equal a brute-force row-major scan (PyTorch's rule:
// strict '>', the first NaN wins) on every geometry, including windows that hang over the padding,
// ceil_mode, dilation, ties, -inf inputs and NaN propagation; the gradient must land on the scan's pick.

import Testing
import Tensors

@Suite struct MaxPoolInferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var h: Int, w: Int, k: Int, s: Int, p: Int, d: Int, ceil: Bool
        var description: String { "\(h)×\(w) k\(k) s\(s) p\(p) d\(d)\(ceil ? " ceil" : "")" }
    }

    static let cases: [Case] = [
        Case(h: 112, w: 112, k: 3, s: 2, p: 1, d: 1, ceil: false),  // ResNet stem
        Case(h: 15, w: 19, k: 3, s: 2, p: 1, d: 1, ceil: false),    // the 3×3/2 kernel: odd sizes, a partial last step
        Case(h: 8, w: 16, k: 3, s: 2, p: 1, d: 1, ceil: false),     // exactly 8 outputs per row
        Case(h: 7, w: 33, k: 3, s: 2, p: 1, d: 1, ceil: true),      // ceil_mode: a last window past the padding
        Case(h: 13, w: 11, k: 3, s: 2, p: 0, d: 1, ceil: true),
        Case(h: 9, w: 10, k: 2, s: 2, p: 0, d: 1, ceil: false),
        Case(h: 26, w: 26, k: 2, s: 2, p: 0, d: 1, ceil: false),  // small CNN, 2×2 kernel
        Case(h: 4, w: 16, k: 2, s: 2, p: 0, d: 1, ceil: false),   // exactly 8 outputs per row
        Case(h: 6, w: 35, k: 2, s: 2, p: 0, d: 1, ceil: false),   // 17 outputs, odd width
        Case(h: 5, w: 70, k: 2, s: 2, p: 0, d: 1, ceil: false),   // 35 outputs: two full 16-wide steps and a tail
        Case(h: 11, w: 37, k: 2, s: 2, p: 0, d: 1, ceil: true),   // ceil_mode: last window clipped, general kernel
        Case(h: 10, w: 7, k: 3, s: 1, p: 1, d: 2, ceil: false),
        Case(h: 6, w: 6, k: 4, s: 3, p: 2, d: 1, ceil: true),
    ]

    /// Brute-force max pooling: values and the flat input index of each pick.
    static func reference(_ x: [Float], planes: Int, _ c: Case, outH: Int, outW: Int) -> (values: [Float], picks: [Int]) {
        var values: [Float] = [], picks: [Int] = []
        for p in 0..<planes {
            for oh in 0..<outH {
                for ow in 0..<outW {
                    var best = -Float.infinity, pick = -1
                    scan: for ki in 0..<c.k {
                        for kj in 0..<c.k {
                            let ih = oh * c.s - c.p + ki * c.d, iw = ow * c.s - c.p + kj * c.d
                            guard ih >= 0, ih < c.h, iw >= 0, iw < c.w else { continue }
                            let v = x[p * c.h * c.w + ih * c.w + iw]
                            if pick < 0 || v > best || v.isNaN {
                                best = v; pick = p * c.h * c.w + ih * c.w + iw
                                if v.isNaN { break scan }
                            }
                        }
                    }
                    values.append(best); picks.append(pick)
                }
            }
        }
        return (values, picks)
    }

    /// Every case on every ISA path the machine has (the 2×2 kernels are per ISA).
    @Test(arguments: KernelISA.supported, cases)
    func kernelsEqualBruteForceScan(_ isa: KernelISA, _ c: Case) throws {
        try KernelISA.$override.withValue(isa) { try checkAgainstBruteForceScan(c) }
    }

    func checkAgainstBruteForceScan(_ c: Case) throws {
        var g = RandomGenerator(seed: 7)
        // Rounded values so windows hold ties; one -inf and one NaN.
        var values = Tensor.normal([2, 3, c.h, c.w], generator: &g).scalars.map { ($0 * 2).rounded() }
        values[5] = -.infinity
        values[c.h * c.w + 17] = .nan
        let x = Tensor(shape: [2, 3, c.h, c.w], data: values).requiringGrad()
        func pool(_ t: Tensor) -> Tensor {
            t.maxPool2d(kernel: (c.k, c.k), stride: (c.s, c.s), padding: (c.p, c.p), dilation: (c.d, c.d), ceilMode: c.ceil)
        }
        let recorded = pool(x)
        let inference = withNoGrad { pool(x) }
        let (outH, outW) = (recorded.shape[2], recorded.shape[3])
        let expected = Self.reference(values, planes: 6, c, outH: outH, outW: outW)
        #expect(expected.values.contains { $0.isNaN }, "the NaN input must reach an output")
        #expect(inference.shape == recorded.shape)
        for (name, got) in [("recorded", recorded.scalars), ("inference", inference.scalars)] {
            for i in got.indices {
                let e = expected.values[i]
                #expect(got[i] == e || (got[i].isNaN && e.isNaN), "\(c) \(name) output \(i): \(got[i]) vs \(e)")
            }
        }
        // Backward with distinct output weights: each input's gradient is the sum of the weights of
        // the outputs that picked it.
        let weights = (0..<recorded.count).map { Float($0 % 97 + 1) }
        try (recorded * Tensor(shape: recorded.shape, data: weights)).sum().backward()
        var expectedGrad = [Float](repeating: 0, count: values.count)
        for (o, pick) in expected.picks.enumerated() where pick >= 0 { expectedGrad[pick] += weights[o] }
        #expect(try #require(x.grad).scalars == expectedGrad, "\(c): gradient positions differ from the row-major scan")
    }

    @Test func stemWindowValues() {
        // 1×1×4×4 ramp, 3×3 stride 2 padding 1: each output is the largest input its window covers.
        let x = Tensor(shape: [1, 1, 4, 4], data: (0..<16).map(Float.init))
        let y = withNoGrad { x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [5, 7, 13, 15])
    }
}

// max_pool2d has two kernels: with indices (when autograd records) and values only (inference).
// They must agree on every geometry, including windows that hang over the padding, ceil_mode,
// dilation, -inf inputs and NaN propagation.

import Testing
import Tensors

@Suite struct MaxPoolInferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var h: Int, w: Int, k: Int, s: Int, p: Int, d: Int, ceil: Bool
        var description: String { "\(h)×\(w) k\(k) s\(s) p\(p) d\(d)\(ceil ? " ceil" : "")" }
    }

    static let cases: [Case] = [
        Case(h: 112, w: 112, k: 3, s: 2, p: 1, d: 1, ceil: false),  // ResNet stem
        Case(h: 13, w: 11, k: 3, s: 2, p: 0, d: 1, ceil: true),
        Case(h: 9, w: 10, k: 2, s: 2, p: 0, d: 1, ceil: false),
        Case(h: 10, w: 7, k: 3, s: 1, p: 1, d: 2, ceil: false),
        Case(h: 6, w: 6, k: 4, s: 3, p: 2, d: 1, ceil: true),
    ]

    @Test(arguments: cases)
    func valuesOnlyEqualsIndexedKernel(_ c: Case) throws {
        var g = RandomGenerator(seed: 7)
        var values = Tensor.normal([2, 3, c.h, c.w], generator: &g).scalars
        values[5] = -.infinity
        values[c.h * c.w + 17] = .nan
        let x = Tensor(shape: [2, 3, c.h, c.w], data: values)
        let recorded = x.requiringGrad().maxPool2d(kernel: (c.k, c.k), stride: (c.s, c.s), padding: (c.p, c.p),
                                                   dilation: (c.d, c.d), ceilMode: c.ceil)
        let inference = withNoGrad {
            x.maxPool2d(kernel: (c.k, c.k), stride: (c.s, c.s), padding: (c.p, c.p), dilation: (c.d, c.d), ceilMode: c.ceil)
        }
        #expect(recorded.shape == inference.shape)
        let a = recorded.scalars, b = inference.scalars
        #expect(a.contains { $0.isNaN }, "the NaN input must reach an output")
        for i in a.indices {
            #expect(a[i] == b[i] || (a[i].isNaN && b[i].isNaN), "\(c) output \(i): \(a[i]) vs \(b[i])")
        }
    }

    @Test func stemWindowValues() {
        // 1×1×4×4 ramp, 3×3 stride 2 padding 1: each output is the largest input its window covers.
        let x = Tensor(shape: [1, 1, 4, 4], data: (0..<16).map(Float.init))
        let y = withNoGrad { x.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [5, 7, 13, 15])
    }
}

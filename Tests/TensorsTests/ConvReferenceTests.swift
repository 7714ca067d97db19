// conv2d on sizes the PyTorch fixtures do not reach (wide outputs take the shifted-GEMM path,
// large ones tile the im2col workspace), against the direct convolution in Double (TestSupport's DirectConv2d).

import Testing
import Tensors
import TestSupport

@Suite struct ConvReferenceTests {
    @Test(arguments: [(2, 5, 40, 36, 6, 3, 1, 1, true), (1, 4, 34, 64, 3, 5, 1, 2, false), (1, 3, 45, 45, 4, 3, 2, 1, true)])
    func wideConvMatchesDirectConvolution(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Bool)) {
        let (n, cin, h, w, cout, k, stride, pad, hasBias) = c
        var g = RandomGenerator(seed: 9)
        let x = Tensor.uniform([n, cin, h, w], low: -1, high: 1, generator: &g)
        let wt = Tensor.uniform([cout, cin, k, k], low: -0.5, high: 0.5, generator: &g)
        let b = hasBias ? Tensor.uniform([cout], generator: &g) : nil
        let y = Tensor.conv2d(x, weight: wt, bias: b, stride: (stride, stride), padding: (pad, pad))
        let expected = DirectConv2d(n: n, cin: cin, h: h, w: w, cout: cout, kh: k, kw: k, stride: stride, pad: pad)
            .forward(x.scalars, wt.scalars, b?.scalars)
        #expect(y.count == expected.count)
        #expect(closeness(y.scalars, expected, rtol: 1e-5, atol: 1e-5) == nil)
    }
}

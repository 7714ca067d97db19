// conv2d on sizes the PyTorch fixtures do not reach (wide outputs take the shifted-GEMM path,
// large ones tile the im2col workspace), against a direct seven-loop convolution in Double.

import Testing
import Tensors

@Suite struct ConvReferenceTests {
    static func direct(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, pad: Int) -> [Float] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (co, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1
        let xs = x.scalars, ws = w.scalars, bs = b?.scalars
        var out = [Float](repeating: 0, count: n * co * oh * ow)
        for i in 0..<n { for o in 0..<co { for y in 0..<oh { for z in 0..<ow {
            var s = Double(bs?[o] ?? 0)
            for ci in 0..<c { for u in 0..<kh { for v in 0..<kw {
                let iy = y * stride - pad + u, ix = z * stride - pad + v
                if iy >= 0 && iy < h && ix >= 0 && ix < wd {
                    s += Double(xs[((i * c + ci) * h + iy) * wd + ix]) * Double(ws[((o * c + ci) * kh + u) * kw + v])
                }
            }}}
            out[((i * co + o) * oh + y) * ow + z] = Float(s)
        }}}}
        return out
    }

    @Test(arguments: [(2, 5, 40, 36, 6, 3, 1, 1, true), (1, 4, 34, 64, 3, 5, 1, 2, false), (1, 3, 45, 45, 4, 3, 2, 1, true)])
    func wideConvMatchesDirectConvolution(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Bool)) {
        let (n, cin, h, w, cout, k, stride, pad, hasBias) = c
        var g = RandomGenerator(seed: 9)
        let x = Tensor.uniform([n, cin, h, w], low: -1, high: 1, generator: &g)
        let wt = Tensor.uniform([cout, cin, k, k], low: -0.5, high: 0.5, generator: &g)
        let b = hasBias ? Tensor.uniform([cout], generator: &g) : nil
        let y = Tensor.conv2d(x, weight: wt, bias: b, stride: (stride, stride), padding: (pad, pad))
        let expected = Self.direct(x, wt, b, stride: stride, pad: pad)
        #expect(y.count == expected.count)
        #expect(closeness(y.scalars, expected, rtol: 1e-5, atol: 1e-5) == nil)
    }
}

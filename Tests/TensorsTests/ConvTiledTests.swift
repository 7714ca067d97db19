// conv2d forward and backward on the im2col paths against a direct convolution in Double (with
// groups and dilation): strided convs with odd sizes, padding, bias or none, batch > 1, groups,
// narrow outputs (padded im2col, tiles ending mid-row) and several tiles per image. With more than
// one thread (VISION_NUM_THREADS, by default the active cores) these cases take
// Kernels/TiledConv2d.swift, the default path there, and cover both ways it splits work between
// threads (column tiles; output-channel blocks for small outputs); its backward falls back to
// Conv2dKernel's plain loop when its private gradient copies would take over half the workspace.
// With one thread, VISION_CONV_TILED=0 or VISION_OPENBLAS_POOL=1 they all take that plain loop.
// Batches of small outputs go through Kernels/BatchedConv2d.swift (several images per GEMM) either way.
// The forward pass takes the implicit GEMM (ConvAlgorithm's default) and so does the input gradient
// of stride-1 convs; ConvAlgorithmTests forces each algorithm in turn.

import Testing
import Tensors
import TestSupport

@Suite struct ConvTiledTests {
    struct Case: Sendable, CustomStringConvertible {
        var n: Int, cin: Int, h: Int, w: Int, cout: Int, kh: Int, kw: Int
        var stride: Int, pad: Int, dilation = 1, groups = 1, bias: Bool
        var description: String {
            "n\(n) c\(cin) \(h)×\(w) → \(cout) k\(kh)×\(kw) s\(stride) p\(pad) d\(dilation) g\(groups)\(bias ? " bias" : "")"
        }
        /// The case's shapes for the direct reference (TestSupport).
        var conv: DirectConv2d {
            DirectConv2d(n: n, cin: cin, h: h, w: w, cout: cout, kh: kh, kw: kw, stride: stride, pad: pad,
                         dilation: dilation, groups: groups)
        }
        var oh: Int { conv.oh }
        var ow: Int { conv.ow }
    }

    static let cases: [Case] = [
        // conv1-like: 7×7/2 on 3 channels, odd input, column tiles.
        Case(n: 1, cin: 3, h: 67, w: 61, cout: 16, kh: 7, kw: 7, stride: 2, pad: 3, bias: true),
        Case(n: 1, cin: 3, h: 67, w: 61, cout: 16, kh: 7, kw: 7, stride: 2, pad: 3, bias: false),
        // 1×1 stride 2 (downsample) with odd input, batch 2.
        Case(n: 2, cin: 12, h: 29, w: 27, cout: 40, kh: 1, kw: 1, stride: 2, pad: 0, bias: true),
        // 3×3/2 with small output and many channels: output-channel blocks.
        Case(n: 1, cin: 20, h: 13, w: 13, cout: 72, kh: 3, kw: 3, stride: 2, pad: 1, bias: true),
        Case(n: 1, cin: 24, h: 7, w: 7, cout: 64, kh: 3, kw: 3, stride: 1, pad: 1, bias: false),
        // Output 21×19 (narrow rows, padded im2col) cut into column tiles that end mid-row.
        Case(n: 1, cin: 4, h: 41, w: 37, cout: 8, kh: 3, kw: 3, stride: 2, pad: 1, bias: true),
        // Batch 3, groups, asymmetric kernel and dilation, stride 3.
        Case(n: 3, cin: 6, h: 19, w: 22, cout: 9, kh: 3, kw: 2, stride: 3, pad: 2, dilation: 2, groups: 3, bias: true),
        Case(n: 2, cin: 8, h: 11, w: 9, cout: 8, kh: 3, kw: 3, stride: 2, pad: 1, groups: 8, bias: false),
        // K·OH·OW above the per-thread workspace (1M floats at 2 threads): several column tiles per
        // image, the last one partial (dilation keeps these off the shifted-GEMM path).
        Case(n: 2, cin: 6, h: 91, w: 91, cout: 5, kh: 5, kw: 5, stride: 1, pad: 4, dilation: 2, bias: true),
        Case(n: 1, cin: 12, h: 91, w: 91, cout: 3, kh: 5, kw: 5, stride: 1, pad: 4, dilation: 2, bias: false),
        // Batches with small outputs (Kernels/BatchedConv2d.swift: several images per GEMM): ResNet's
        // late stages at 64² inputs, a 1×1/2 downsample, a pointwise conv, a small CNN's second conv,
        // and a batch larger than one chunk of the workspace's images (the last chunk partial).
        Case(n: 5, cin: 16, h: 4, w: 4, cout: 24, kh: 3, kw: 3, stride: 1, pad: 1, bias: false),
        Case(n: 4, cin: 8, h: 9, w: 7, cout: 12, kh: 3, kw: 3, stride: 2, pad: 1, bias: true),
        Case(n: 3, cin: 10, h: 7, w: 7, cout: 6, kh: 1, kw: 1, stride: 2, pad: 0, bias: true),
        Case(n: 3, cin: 10, h: 5, w: 6, cout: 7, kh: 1, kw: 1, stride: 1, pad: 0, bias: false),
        Case(n: 6, cin: 4, h: 13, w: 13, cout: 8, kh: 3, kw: 3, stride: 1, pad: 0, bias: true),
        Case(n: 150, cin: 2, h: 5, w: 5, cout: 3, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        // Output rows of 7 (not a multiple of the 8-float vector runs), dilation: each image's
        // padded im2col must not spill into its neighbour's columns.
        Case(n: 3, cin: 4, h: 9, w: 7, cout: 6, kh: 3, kw: 3, stride: 1, pad: 2, dilation: 2, bias: true),
    ]

    @Test(arguments: cases)
    func forwardMatchesDirectConvolution(_ c: Case) {
        var g = RandomGenerator(seed: 21)
        let x = Tensor.uniform([c.n, c.cin, c.h, c.w], low: -1, high: 1, generator: &g)
        let w = Tensor.uniform([c.cout, c.cin / c.groups, c.kh, c.kw], low: -0.5, high: 0.5, generator: &g)
        let b = c.bias ? Tensor.uniform([c.cout], generator: &g) : nil
        let y = Tensor.conv2d(x, weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                              dilation: (c.dilation, c.dilation), groups: c.groups)
        #expect(y.shape == [c.n, c.cout, c.oh, c.ow])
        let diff = closeness(y.scalars, c.conv.forward(x.scalars, w.scalars, b?.scalars), rtol: 1e-5, atol: 1e-5)
        #expect(diff == nil, "\(c): \(diff ?? "")")
    }

    @Test(arguments: cases)
    func backwardMatchesDirectGradients(_ c: Case) throws {
        try Self.checkBackward(c, seed: 22)
    }

    /// conv2d's gradients (dx, dw, db) for `c` against the direct convolution's in Double.
    static func checkBackward(_ c: Case, seed: UInt64, label: String = "") throws {
        var g = RandomGenerator(seed: seed)
        let x = Tensor.uniform([c.n, c.cin, c.h, c.w], low: -1, high: 1, generator: &g).requiringGrad()
        let w = Tensor.uniform([c.cout, c.cin / c.groups, c.kh, c.kw], low: -0.5, high: 0.5, generator: &g).requiringGrad()
        let b = c.bias ? Tensor.uniform([c.cout], generator: &g).requiringGrad() : nil
        let gy = Tensor.uniform([c.n, c.cout, c.oh, c.ow], low: -1, high: 1, generator: &g)
        let y = Tensor.conv2d(x, weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                              dilation: (c.dilation, c.dilation), groups: c.groups)
        try y.backward(gradient: gy)
        let (xs, ws, gs) = (x.scalars, w.scalars, gy.scalars)
        var dx = [Double](repeating: 0, count: xs.count), dw = [Double](repeating: 0, count: ws.count)
        var db = [Double](repeating: 0, count: c.cout)
        let cg = c.cin / c.groups
        c.conv.forEachTap { i, o, y, z, ci, u, v, iy, ix in
            let gv = Double(gs[((i * c.cout + o) * c.oh + y) * c.ow + z])
            let xi = ((i * c.cin + ci) * c.h + iy) * c.w + ix, wi = ((o * cg + ci % cg) * c.kh + u) * c.kw + v
            dx[xi] += gv * Double(ws[wi])
            dw[wi] += gv * Double(xs[xi])
        }
        for (j, gv) in gs.enumerated() { db[(j / (c.oh * c.ow)) % c.cout] += Double(gv) }
        let dxDiff = closeness(try #require(x.grad).scalars, dx.map { Float($0) }, rtol: 1e-4, atol: 1e-4)
        #expect(dxDiff == nil, "\(label) \(c) dx: \(dxDiff ?? "")")
        let dwDiff = closeness(try #require(w.grad).scalars, dw.map { Float($0) }, rtol: 1e-4, atol: 1e-3)
        #expect(dwDiff == nil, "\(label) \(c) dw: \(dwDiff ?? "")")
        if let b {
            let dbDiff = closeness(try #require(b.grad).scalars, db.map { Float($0) }, rtol: 1e-4, atol: 1e-3)
            #expect(dbDiff == nil, "\(label) \(c) db: \(dbDiff ?? "")")
        }
    }
}

// Depthwise convs (groups = Cin, Cout a multiple of Cin) by the stencil kernels of
// CKernels/conv_depthwise.c. Forward: each output plane from its input plane, vectors of outputs
// along the rows, the epilogue fused; threads split the output planes (batch · Cout of them).
// Backward (one output channel per input channel): the input gradient as the forward kernel's
// conv of dY spread by the stride with the taps reversed; the weight gradient per channel (threads
// split the channels, so nothing is reduced across threads).

import CKernels
import Traps

enum DepthwiseConvolution {
    /// Whether the depthwise kernel computes `g`: one group per input channel (more than one
    /// channel), each group's output channels a whole multiple.
    static func applies(_ g: Conv2dGeometry) -> Bool {
        g.groups > 1 && g.groups == g.inChannels && g.outChannels % g.groups == 0 && g.outH >= 1 && g.outW >= 1
    }

    /// y = act(depthwise conv(x, w) + bias + residual); `w` is Cout × 1 × kh × kw.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        residual: UnsafePointer<Float>?, activation: ConvActivation,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        trapUnless(applies(g), "DepthwiseConvolution: \(g) is not depthwise")
        let geometry = kernelGeometry(g)
        let epilogue = vk_epilogue(bias: bias, residual: residual, ldr: 0, activation: activation.code)
        let isa = KernelISA.active.code
        let planes = g.batch &* g.outChannels
        let work = g.outH &* g.outW &* g.kernelH &* g.kernelW
        nonisolated(unsafe) let (x, w, y) = (x, w, y)
        Threading.parallelFor(planes, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(work, 1))) { p0, p1 in
            var geometry = geometry, epilogue = epilogue
            vk_conv2d_depthwise(isa, &geometry, x, w, y, &epilogue, p0, p1)
        }
    }
}

extension DepthwiseConvolution {
    /// Whether the depthwise kernels compute `g`'s gradients: one output channel per input channel,
    /// at most 49 taps, padding within the kernel's extent (the input gradient is then a stride-1
    /// depthwise conv of dY spread by the stride, with the taps reversed).
    static func appliesToBackward(_ g: Conv2dGeometry) -> Bool {
        applies(g) && g.outChannels == g.inChannels && g.kernelH &* g.kernelW <= 49
            && g.padH <= g.dilationH &* (g.kernelH &- 1) && g.padW <= g.dilationW &* (g.kernelW &- 1)
    }

    /// dx (overwritten), dw and db (accumulated into, if given) of a depthwise conv.
    static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                         _ g: Conv2dGeometry) {
        trapUnless(appliesToBackward(g), "DepthwiseConvolution: no gradient kernel for \(g)")
        if let dx { inputGradient(w, dy, dx, g) }
        guard dw != nil || db != nil else { return }
        let scratch = dw == nil ? TensorStorage(uninitializedCount: g.outChannels &* g.kernelH &* g.kernelW) : nil
        scratch?.base.initialize(repeating: 0, count: scratch!.count)
        nonisolated(unsafe) let (x, dy, target, db) = (x, dy, dw ?? scratch!.base, db)
        let geometry = kernelGeometry(g)
        let isa = KernelISA.active.code
        let work = g.batch &* g.outH &* g.outW &* g.kernelH &* g.kernelW
        Threading.parallelFor(g.inChannels, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(work, 1))) { c0, c1 in
            var geometry = geometry
            vk_conv2d_depthwise_weight_grad(isa, &geometry, x, dy, target, db, c0, c1)
        }
        withExtendedLifetime(scratch) {}
    }

    /// dx of a depthwise conv: dY spread by the stride (zeros between its rows and columns, and
    /// after its last ones) and convolved, depthwise and at stride 1, with the reversed taps and
    /// padding p' = d·(k − 1) − p. The spread plane has H + 2p − d·(k − 1) rows (and likewise
    /// columns), so the transposed conv gives exactly the H input rows: when the forward's stride
    /// does not divide H + 2p − d·(k − 1) − 1, its last window still reads real rows below the last
    /// output's origin (H = 4, k = 3, s = 2, p = 1: output 1 reads rows 1–3) and the zero rows after
    /// the spread dY carry those rows' gradient; rows no window read get 0.
    static func inputGradient(_ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                              _ g: Conv2dGeometry) {
        let (c, kh, kw, taps) = (g.inChannels, g.kernelH, g.kernelW, g.kernelH &* g.kernelW)
        let flipped = TensorStorage(uninitializedCount: c &* taps)
        for ch in 0..<c {
            for t in 0..<taps { flipped.base[ch &* taps &+ t] = w[ch &* taps &+ taps &- 1 &- t] }
        }
        let (padH, padW) = (g.dilationH &* (kh &- 1) &- g.padH, g.dilationW &* (kw &- 1) &- g.padW)
        let (hs, ws) = (g.height &+ 2 &* g.padH &- g.dilationH &* (kh &- 1), g.width &+ 2 &* g.padW &- g.dilationW &* (kw &- 1))
        let transposed = Conv2dGeometry(batch: g.batch, inChannels: c, height: hs, width: ws, outChannels: c, kernelH: kh,
                                        kernelW: kw, strideH: 1, strideW: 1, padH: padH, padW: padW,
                                        dilationH: g.dilationH, dilationW: g.dilationW, groups: c)
        precondition(transposed.outH == g.height && transposed.outW == g.width, "depthwise input gradient geometry")
        let planes = g.batch &* c
        var spread: TensorStorage?
        if hs != g.outH || ws != g.outW {
            let s = TensorStorage(uninitializedCount: planes &* hs &* ws)
            s.base.initialize(repeating: 0, count: s.count)
            for p in 0..<planes {
                let src = dy + p &* g.outH &* g.outW, dst = s.base + p &* hs &* ws
                for r in 0..<g.outH {
                    for q in 0..<g.outW { dst[r &* g.strideH &* ws &+ q &* g.strideW] = src[r &* g.outW &+ q] }
                }
            }
            spread = s
        }
        let source = spread.map { UnsafePointer($0.base) } ?? dy
        forward(source, flipped.base, bias: nil, residual: nil, activation: .none, dx, transposed)
        withExtendedLifetime((flipped, spread)) {}
    }

    /// `g` as the C kernels take it.
    static func kernelGeometry(_ g: Conv2dGeometry) -> vk_conv_geometry {
        vk_conv_geometry(
            batch: g.batch, in_channels: g.inChannels, height: g.height, width: g.width,
            out_channels: g.outChannels, kernel_h: g.kernelH, kernel_w: g.kernelW, stride_h: g.strideH, stride_w: g.strideW,
            pad_h: g.padH, pad_w: g.padW, dilation_h: g.dilationH, dilation_w: g.dilationW, groups: g.groups,
            out_h: g.outH, out_w: g.outW)
    }
}

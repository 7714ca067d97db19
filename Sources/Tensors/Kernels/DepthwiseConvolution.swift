// conv2d forward for depthwise convs (groups = Cin, Cout a multiple of Cin) by the stencil kernel
// of CKernels/conv_depthwise.c: each output plane from its input plane, vectors of outputs along
// the rows, the epilogue fused. Threads split the output planes (batch · Cout of them).

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
        let geometry = vk_conv_geometry(
            batch: g.batch, in_channels: g.inChannels, height: g.height, width: g.width,
            out_channels: g.outChannels, kernel_h: g.kernelH, kernel_w: g.kernelW, stride_h: g.strideH, stride_w: g.strideW,
            pad_h: g.padH, pad_w: g.padW, dilation_h: g.dilationH, dilation_w: g.dilationW, groups: g.groups,
            out_h: g.outH, out_w: g.outW)
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

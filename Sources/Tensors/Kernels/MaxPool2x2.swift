// max_pool2d with 2×2 windows, stride 2, no padding or dilation (LeNet-style CNNs, VGG): the most
// common pooling, given forward kernels of its own in CKernels (pool*.c: 16 or 8 outputs per step
// with the ISA's vectors). This file keeps the shape test and the lane-wise "takes over" rule the
// 3×3 kernel shares.

extension PoolingKernel {
    /// True when `g` is 2×2 / stride 2 without padding or dilation.
    static func isPlain2x2(_ g: Pool2dGeometry) -> Bool {
        g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0
            && g.dilationH == 1 && g.dilationW == 1 && g.outH * 2 <= g.height && g.outW * 2 <= g.width
    }

    /// Lanes where `b` replaces `a` as the running maximum: larger, or the first NaN.
    @inline(__always)
    static func takes(_ b: SIMD8<Float>, over a: SIMD8<Float>) -> SIMDMask<SIMD8<Int32>> {
        (b .> a) .| ((b .!= b) .& (a .== a))
    }
}

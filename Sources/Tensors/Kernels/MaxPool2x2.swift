// max_pool2d with 2×2 windows, stride 2, no padding or dilation (LeNet-style CNNs, VGG): the most
// common pooling, given a kernel of its own. Eight outputs at a time: one 16-float load per input
// row, even and odd lanes split, compared lane-wise (rows narrower than 8 outputs: scalar). The position rule is PyTorch's row-major scan
// with a strict '>' and NaN winning (first NaN): within a row the left tap unless the right one is
// larger (or the first NaN), then the top row unless the bottom row's pick is larger (or NaN).

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

    /// One plane: x is (H, W), y and indices (OH, OW).
    static func max2x2Plane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>?,
                            H: Int, W: Int, OH: Int, OW: Int) {
        let laneOffsets = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for oh in 0..<OH {
            let r0 = x + 2 &* oh &* W, r1 = r0 + W
            let out = y + oh &* OW
            let idx = indices.map { $0 + oh &* OW }
            let rowBase = Int32(truncatingIfNeeded: 2 &* oh &* W)
            guard OW >= 8 else {
                for ow in 0..<OW {
                    let at = 2 &* ow
                    let (a, b, c, d) = (r0[at], r0[at &+ 1], r1[at], r1[at &+ 1])
                    let t0 = b > a || (b != b && a == a), t1 = d > c || (d != d && c == c)
                    let m0 = t0 ? b : a, m1 = t1 ? d : c
                    let t = m1 > m0 || (m1 != m1 && m0 == m0)
                    out[ow] = t ? m1 : m0
                    if let idx {
                        let offset = t ? W &+ (t1 ? 1 : 0) : (t0 ? 1 : 0)
                        idx[ow] = rowBase &+ Int32(truncatingIfNeeded: at &+ offset)
                    }
                }
                continue
            }
            // Eight outputs per step; the last step is moved back to end at OW (recomputing a few
            // outputs, with identical results) so there is no scalar tail.
            var ow = 0
            while true {
                let top = UnsafeRawPointer(r0 + 2 &* ow).loadUnaligned(as: SIMD16<Float>.self)
                let bottom = UnsafeRawPointer(r1 + 2 &* ow).loadUnaligned(as: SIMD16<Float>.self)
                let (a, b, c, d) = (top.evenHalf, top.oddHalf, bottom.evenHalf, bottom.oddHalf)
                let t0 = takes(b, over: a), t1 = takes(d, over: c)
                let m0 = a.replacing(with: b, where: t0), m1 = c.replacing(with: d, where: t1)
                let t = takes(m1, over: m0)
                UnsafeMutableRawPointer(out + ow).storeBytes(of: m0.replacing(with: m1, where: t), as: SIMD8<Float>.self)
                if let idx {
                    let zero = SIMD8<Int32>(repeating: 0)
                    let i0 = zero.replacing(with: 1, where: t0)
                    let i1 = zero.replacing(with: 1, where: t1) &+ Int32(truncatingIfNeeded: W)
                    let position = laneOffsets &+ (rowBase &+ Int32(truncatingIfNeeded: 2 &* ow)) &+ i0.replacing(with: i1, where: t)
                    UnsafeMutableRawPointer(idx + ow).storeBytes(of: position, as: SIMD8<Int32>.self)
                }
                if ow &+ 8 == OW { break }
                ow = Swift.min(ow &+ 8, OW &- 8)
            }
        }
    }
}

// max_pool2d with 3×3 windows, stride 2, padding 1 (ResNet's stem pooling): vectorised values;
// in training the indices are then found by a search of each window for its value. Per output row, the three input rows are reduced lane-wise into a row of
// column maxima with a −∞ border (the padding), then eight outputs at a time take the maximum of
// columns 2·ow − 1, 2·ow and 2·ow + 1 as the even, odd and next-even lanes of two 16-float loads.
// A NaN in a window gives NaN, as PyTorch.

extension PoolingKernel {
    /// True when `g` is 3×3 / stride 2 / padding 1 without dilation.
    static func isPlain3x3Stride2(_ g: Pool2dGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 2 && g.strideW == 2 && g.padH == 1 && g.padW == 1
            && g.dilationH == 1 && g.dilationW == 1 && g.outW >= 8
    }

    /// The lane-wise maximum with NaN winning.
    @inline(__always)
    static func nanMax8(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: takes(b, over: a))
    }

    /// One plane: x is (H, W), y is (OH, OW); `columns` holds W + 2 + 16 floats of scratch.
    static func max3x3Stride2Plane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, H: Int, W: Int, OH: Int, OW: Int,
                                   columns: UnsafeMutablePointer<Float>) {
        let row = columns + 1  // row[-1] and row[W...] are the −∞ padding
        columns[0] = -.infinity
        for i in 0..<17 { row[W &+ i] = -.infinity }
        for oh in 0..<OH {
            let top = 2 &* oh &- 1
            let r0 = Swift.max(top, 0), r1 = Swift.min(top &+ 3, H)
            let first = x + r0 &* W
            row.update(from: first, count: W)
            for r in (r0 &+ 1)..<r1 {
                let src = x + r &* W
                var i = 0
                while i &+ 8 <= W {
                    let v = nanMax8(UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self),
                                    UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self))
                    UnsafeMutableRawPointer(row + i).storeBytes(of: v, as: SIMD8<Float>.self)
                    i &+= 8
                }
                while i < W { row[i] = nanMax(src[i], row[i]); i &+= 1 }
            }
            // Output ow covers row[2ow − 1 ... 2ow + 1] = columns[2ow ... 2ow + 2].
            let out = y + oh &* OW
            var ow = 0
            while true {
                let a = UnsafeRawPointer(columns + 2 &* ow).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(columns + (2 &* ow &+ 2)).loadUnaligned(as: SIMD16<Float>.self)
                let m = nanMax8(nanMax8(a.evenHalf, a.oddHalf), b.evenHalf)
                UnsafeMutableRawPointer(out + ow).storeBytes(of: m, as: SIMD8<Float>.self)
                if ow &+ 8 == OW { break }
                ow = Swift.min(ow &+ 8, OW &- 8)
            }
        }
    }

    /// The indices of one plane's maxima (y from `max3x3Stride2Plane`): for each window, the first
    /// tap in row-major order holding the maximum (the first NaN if it is NaN), as the general path
    /// and PyTorch's strict-'>' scan keep it; y is rewritten with that tap's own value (the sign of
    /// a zero included).
    static func max3x3Stride2Indices(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                     _ indices: UnsafeMutablePointer<Int32>,
                                     H: Int, W: Int, OH: Int, OW: Int) {
        for oh in 0..<OH {
            let top = 2 &* oh &- 1
            let r0 = Swift.max(top, 0), r1 = Swift.min(top &+ 3, H)
            let out = y + oh &* OW, idx = indices + oh &* OW
            for ow in 0..<OW {
                let left = 2 &* ow &- 1
                let c0 = Swift.max(left, 0), c1 = Swift.min(left &+ 3, W)
                let best = out[ow], isNaN = best.isNaN
                var found = r0 &* W &+ c0
                search: for r in r0..<r1 {
                    var at = r &* W &+ c0
                    for _ in c0..<c1 {
                        let v = x[at]
                        if v == best || (isNaN && v.isNaN) { found = at; break search }
                        at &+= 1
                    }
                }
                out[ow] = x[found]
                idx[ow] = Int32(truncatingIfNeeded: found)
            }
        }
    }
}

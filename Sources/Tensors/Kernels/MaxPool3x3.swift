// max_pool2d with 3×3 windows, stride 2, padding 1 (ResNet's stem pooling), vectorised. Values
// alone (inference): per output row, the three input rows are reduced lane-wise into a row of
// column maxima with a −∞ border (the padding), then eight outputs at a time take the maximum of
// columns 2·ow − 1, 2·ow and 2·ow + 1 as the even, odd and next-even lanes of two 16-float loads.
// With indices (training): eight outputs at a time take the nine taps in row-major order from a
// −∞-bordered copy of the plane, keeping value and index per lane (a scalar search of each window
// for its maximum cost 2.7% of a ResNet-18 training step).
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

    /// The lanes where tap values `v` (at input indices `tap`) take over the running maximum.
    @inline(__always)
    static func take(_ v: SIMD8<Float>, _ tap: SIMD8<Int32>, _ best: inout SIMD8<Float>, _ at: inout SIMD8<Int32>) {
        let taken = takes(v, over: best)
        best.replace(with: v, where: taken)
        at.replace(with: tap, where: taken)
    }

    /// Floats of scratch `max3x3Stride2WithIndices` needs for a plane of H × W.
    static func paddedPlaneFloats(H: Int, W: Int) -> Int { H &* (W &+ 18) }

    /// One plane's maxima and their indices: for each window, the first tap in row-major order
    /// holding the maximum (the first NaN if it is NaN), as the general path and PyTorch's
    /// strict-'>' scan keep it, and that tap's own value (the sign of a zero included). The plane
    /// is first copied into `padded` (`paddedPlaneFloats`) with a −∞ column on the left and 17
    /// on the right; then eight outputs at a time run through the nine taps in row-major order,
    /// each replacing value and index in the lanes it takes over (`takes`). Every lane starts at
    /// −∞ with the index of its first tap inside the image, which a −∞ padding tap never takes.
    static func max3x3Stride2WithIndices(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                         _ indices: UnsafeMutablePointer<Int32>, H: Int, W: Int, OH: Int, OW: Int,
                                         padded: UnsafeMutablePointer<Float>) {
        let wp = W &+ 18
        for r in 0..<H {
            let row = padded + r &* wp
            row[0] = -.infinity
            (row + 1).update(from: x + r &* W, count: W)
            (row + (1 &+ W)).initialize(repeating: -.infinity, count: 17)
        }
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        for oh in 0..<OH {
            let top = 2 &* oh &- 1
            let r0 = Swift.max(top, 0), r1 = Swift.min(top &+ 3, H)
            let out = y + oh &* OW, idx = indices + oh &* OW
            var ow = 0
            while true {
                // Lane l: output ow + l, whose taps read columns 2(ow + l) − 1 + c, c = 0, 1, 2.
                let left = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: 2 &* ow &- 1)) &+ lanes &* 2
                var best = SIMD8<Float>(repeating: -.infinity)
                var at = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: r0 &* W)) &+ pointwiseMax(left, .zero)
                for r in r0..<r1 {
                    let row = padded + r &* wp + 2 &* ow  // padded column 2·ow is image column 2·ow − 1
                    let a = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                    let b = UnsafeRawPointer(row + 2).loadUnaligned(as: SIMD16<Float>.self)
                    let base = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: r &* W)) &+ left
                    take(a.evenHalf, base, &best, &at)
                    take(a.oddHalf, base &+ 1, &best, &at)
                    take(b.evenHalf, base &+ 2, &best, &at)
                }
                UnsafeMutableRawPointer(out + ow).storeBytes(of: best, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(idx + ow).storeBytes(of: at, as: SIMD8<Int32>.self)
                if ow &+ 8 == OW { break }
                ow = Swift.min(ow &+ 8, OW &- 8)
            }
        }
    }
}

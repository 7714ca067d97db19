// Pooling kernels over raw NCHW buffers: max (with indices for backward), average (PyTorch's
// count_include_pad and ceil_mode rules) and adaptive average. Each (n, c) plane is independent,
// so the loops run in parallel over planes; backward passes scatter into disjoint planes too.

import CKernels

/// Window geometry of a 2-D pooling op.
public struct Pool2dGeometry: Sendable, Equatable {
    public var planes: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int
    public var padH: Int, padW: Int, dilationH: Int = 1, dilationW: Int = 1
    public var ceilMode = false

    /// PyTorch's `pooling_output_shape`: with ceil_mode the last window must start inside the
    /// input or its left padding.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, pad: Int, dilation: Int, ceil: Bool) -> Int {
        let span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil ? stride - 1 : 0)
        var out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
        if ceil && (out - 1) * stride >= size + pad { out -= 1 }
        return out
    }

    public var outH: Int { Self.outputSize(height, kernel: kernelH, stride: strideH, pad: padH, dilation: dilationH, ceil: ceilMode) }
    public var outW: Int { Self.outputSize(width, kernel: kernelW, stride: strideW, pad: padW, dilation: dilationW, ceil: ceilMode) }
}

/// The pooling kernels.
package enum PoolingKernel {
    static func planeGrain(_ perPlane: Int) -> Int { Swift.max(1, Threading.minimumParallelElements / Swift.max(perPlane, 1)) }

    /// The input range [lo, hi) of a window's taps along one axis: taps `lo..<hi` of the kernel fall
    /// inside 0..<size (window start `start`, kernel `k`, dilation `d`).
    @inline(__always)
    static func validTaps(start: Int, size: Int, kernel k: Int, dilation d: Int) -> (lo: Int, hi: Int) {
        var lo = 0, hi = k
        while lo < k && start &+ lo &* d < 0 { lo &+= 1 }
        while hi > lo && start &+ (hi &- 1) &* d >= size { hi &-= 1 }
        return (lo, hi)
    }

    /// The larger of two values, NaN if either is NaN (max_pool2d's rule); branch-free, so loops of
    /// it vectorise.
    @inline(__always)
    static func nanMax(_ a: Float, _ b: Float) -> Float { (a > b || a.isNaN) ? a : b }

    /// Max pooling. With `indices`, each output's flat input index (ih·W + iw) is recorded for
    /// backward; without (inference), only the values are computed. A NaN in a window gives NaN
    /// (PyTorch's rule). The valid taps of each window are computed once per row and column, so
    /// the inner loops have no bounds checks. Values are computed separably: the rows of an output
    /// row's windows are max-reduced into one row (contiguous, vectorised), then each output takes
    /// the max of its columns of that row (independent short chains). With indices, each output
    /// then finds the first tap holding that value (early exit): the same pick as a row-major scan
    /// with a strict '>', at a fraction of its branchy cost (the ResNet stem pool in training).
    package static func maxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                  _ indices: UnsafeMutablePointer<Int32>?, _ g: Pool2dGeometry) {
        let (OH, OW, H, W) = (g.outH, g.outW, g.height, g.width)
        if isPlain2x2(g) {
            let isa = KernelISA.active.code
            Threading.parallelFor(g.planes, grain: planeGrain(OH * OW * 4)) { p0, p1 in
                for p in p0..<p1 {
                    vk_max_pool2x2(isa, x + p &* H &* W, y + p &* OH &* OW, indices.map { $0 + p &* OH &* OW }, H, W, OH, OW)
                }
            }
            return
        }
        if isPlain3x3Stride2(g) {
            Threading.parallelFor(g.planes, grain: planeGrain(OH * OW * 9)) { p0, p1 in
                let scratch = UnsafeMutablePointer<Float>.allocate(
                    capacity: indices == nil ? W &+ 2 &+ 16 : paddedPlaneFloats(H: H, W: W))
                defer { scratch.deallocate() }
                for p in p0..<p1 {
                    let plane = x + p &* H &* W, out = y + p &* OH &* OW
                    if let indices {
                        max3x3Stride2WithIndices(plane, out, indices + p &* OH &* OW, H: H, W: W, OH: OH, OW: OW, padded: scratch)
                    } else {
                        max3x3Stride2Plane(plane, out, H: H, W: W, OH: OH, OW: OW, columns: scratch)
                    }
                }
            }
            return
        }
        let (dh, dw) = (g.dilationH, g.dilationW)
        let columns = (0..<OW).map { ow -> (start: Int, lo: Int, hi: Int) in
            let ws = ow &* g.strideW &- g.padW
            let t = validTaps(start: ws, size: W, kernel: g.kernelW, dilation: dw)
            return (ws, t.lo, t.hi)
        }
        columns.withUnsafeBufferPointer { cols in
            nonisolated(unsafe) let cols = cols
            Threading.parallelFor(g.planes, grain: planeGrain(OH * OW * g.kernelH * g.kernelW)) { p0, p1 in
                let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(W, 1))
                defer { rowMax.deallocate() }
                for p in p0..<p1 {
                    let src = x + p &* H &* W
                    let dst = y + p &* OH &* OW
                    for oh in 0..<OH {
                        let hs = oh &* g.strideH &- g.padH
                        let rows = validTaps(start: hs, size: H, kernel: g.kernelH, dilation: dh)
                        let out = dst + oh &* OW
                        guard rows.lo < rows.hi else {
                            out.initialize(repeating: -.infinity, count: OW)
                            if let indices { (indices + (p &* OH &* OW &+ oh &* OW)).initialize(repeating: -1, count: OW) }
                            continue
                        }
                        rowMax.update(from: src + (hs &+ rows.lo &* dh) &* W, count: W)
                        for ki in (rows.lo &+ 1)..<rows.hi {
                            let row = src + (hs &+ ki &* dh) &* W
                            for i in 0..<W { rowMax[i] = nanMax(row[i], rowMax[i]) }
                        }
                        for ow in 0..<OW {
                            let c = cols[ow]
                            var best = -Float.infinity
                            for kj in c.lo..<c.hi { best = nanMax(rowMax[c.start &+ kj &* dw], best) }
                            out[ow] = best
                        }
                        guard let indices else { continue }
                        // The index: the first tap in row-major order holding the maximum (the first
                        // NaN if there is one) — the position PyTorch's scan with a strict '>' keeps.
                        let idx = indices + (p &* OH &* OW &+ oh &* OW)
                        for ow in 0..<OW {
                            let c = cols[ow]
                            guard c.lo < c.hi else { idx[ow] = -1; continue }
                            let best = out[ow], isNaN = best.isNaN
                            var found = -1
                            search: for ki in rows.lo..<rows.hi {
                                var at = (hs &+ ki &* dh) &* W &+ c.start &+ c.lo &* dw
                                for _ in c.lo..<c.hi {
                                    let v = src[at]
                                    if v == best || (isNaN && v.isNaN) { found = at; break search }
                                    at &+= dw
                                }
                            }
                            out[ow] = src[found]  // the tap's own value (the sign of a zero included)
                            idx[ow] = Int32(truncatingIfNeeded: found)
                        }
                    }
                }
            }
        }
    }

    /// dx (zeroed here) receives each dy at the position of its maximum.
    package static func maxBackward(_ dy: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>,
                                   _ dx: UnsafeMutablePointer<Float>, _ g: Pool2dGeometry) {
        let (ohw, hw) = (g.outH &* g.outW, g.height &* g.width)
        Threading.parallelFor(g.planes, grain: planeGrain(hw)) { p0, p1 in
            for p in p0..<p1 {
                let d = dx + p &* hw
                d.initialize(repeating: 0, count: hw)
                let gy = dy + p &* ohw, ix = indices + p &* ohw
                for o in 0..<ohw where ix[o] >= 0 { d[Int(ix[o])] += gy[o] }
            }
        }
    }

    /// Window bounds and divisor of average pooling at output (oh, ow), PyTorch's rules.
    @inline(__always)
    static func averageWindow(_ g: Pool2dGeometry, _ oh: Int, _ ow: Int, countIncludePad: Bool,
                              divisorOverride: Int?) -> (h0: Int, h1: Int, w0: Int, w1: Int, divisor: Float) {
        var h0 = oh &* g.strideH &- g.padH, w0 = ow &* g.strideW &- g.padW
        var h1 = Swift.min(h0 &+ g.kernelH, g.height &+ g.padH), w1 = Swift.min(w0 &+ g.kernelW, g.width &+ g.padW)
        let poolSize = (h1 &- h0) &* (w1 &- w0)
        h0 = Swift.max(h0, 0); w0 = Swift.max(w0, 0)
        h1 = Swift.min(h1, g.height); w1 = Swift.min(w1, g.width)
        let divisor = divisorOverride ?? (countIncludePad ? poolSize : (h1 &- h0) &* (w1 &- w0))
        return (h0, h1, w0, w1, Float(divisor))
    }

    /// Average pooling.
    package static func averageForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Pool2dGeometry,
                                      countIncludePad: Bool, divisorOverride: Int? = nil) {
        let (OH, OW, H, W) = (g.outH, g.outW, g.height, g.width)
        Threading.parallelFor(g.planes, grain: planeGrain(OH * OW * g.kernelH * g.kernelW)) { p0, p1 in
            for p in p0..<p1 {
                let src = x + p &* H &* W
                let dst = y + p &* OH &* OW
                for oh in 0..<OH {
                    for ow in 0..<OW {
                        let win = averageWindow(g, oh, ow, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                        var s: Float = 0
                        if win.h0 < win.h1 && win.w0 < win.w1 {
                            for ih in win.h0..<win.h1 { for iw in win.w0..<win.w1 { s += src[ih &* W &+ iw] } }
                        }
                        dst[oh &* OW &+ ow] = win.h0 < win.h1 && win.w0 < win.w1 ? s / win.divisor : 0
                    }
                }
            }
        }
    }

    /// Gradient of average pooling (dx is overwritten).
    package static func averageBackward(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: Pool2dGeometry,
                                       countIncludePad: Bool, divisorOverride: Int? = nil) {
        let (OH, OW, H, W) = (g.outH, g.outW, g.height, g.width)
        Threading.parallelFor(g.planes, grain: planeGrain(H * W)) { p0, p1 in
            for p in p0..<p1 {
                let d = dx + p &* H &* W
                d.initialize(repeating: 0, count: H &* W)
                let gy = dy + p &* OH &* OW
                for oh in 0..<OH {
                    for ow in 0..<OW {
                        let win = averageWindow(g, oh, ow, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
                        guard win.h0 < win.h1 && win.w0 < win.w1 else { continue }
                        let v = gy[oh &* OW &+ ow] / win.divisor
                        for ih in win.h0..<win.h1 { for iw in win.w0..<win.w1 { d[ih &* W &+ iw] += v } }
                    }
                }
            }
        }
    }

    /// Adaptive average pooling to (outH, outW): window i spans [⌊i·In/Out⌋, ⌈(i+1)·In/Out⌉).
    package static func adaptiveAverage(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                       planes: Int, height H: Int, width W: Int, outH OH: Int, outW OW: Int,
                                       backward: Bool = false) {
        // Forward: y[o] = mean of its window. Backward (x = dy, y = dx): dx += dy / window size.
        Threading.parallelFor(planes, grain: planeGrain(H * W)) { p0, p1 in
            for p in p0..<p1 {
                let src = x + p &* (backward ? OH &* OW : H &* W)
                let dst = y + p &* (backward ? H &* W : OH &* OW)
                if backward { dst.initialize(repeating: 0, count: H &* W) }
                for oh in 0..<OH {
                    let h0 = oh &* H / OH, h1 = ((oh &+ 1) &* H &+ OH &- 1) / OH
                    for ow in 0..<OW {
                        let w0 = ow &* W / OW, w1 = ((ow &+ 1) &* W &+ OW &- 1) / OW
                        let area = Float((h1 &- h0) &* (w1 &- w0))
                        if backward {
                            let v = src[oh &* OW &+ ow] / area
                            for ih in h0..<h1 { for iw in w0..<w1 { dst[ih &* W &+ iw] += v } }
                        } else {
                            var s: Float = 0
                            for ih in h0..<h1 { for iw in w0..<w1 { s += src[ih &* W &+ iw] } }
                            dst[oh &* OW &+ ow] = s / area
                        }
                    }
                }
            }
        }
    }
}

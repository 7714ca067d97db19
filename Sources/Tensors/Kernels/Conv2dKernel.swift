// conv2d forward and backward over raw NCHW buffers: im2col + GEMM with a bounded workspace.
//
// Design. For each image and group, the output (Cout/g × OH·OW) is W_g (Cout/g × K) · col, where
// col (K × OH·OW, K = Cin/g·kh·kw) holds the receptive field of every output position. Building
// col for a whole image can be large (VGG-16's second conv: 576 × 50176 floats = 110 MiB), so the
// output positions are cut into tiles of T columns with K·T ≤ `workspaceFloats` (2M floats = 8 MiB)
// and each tile is one im2col into the reused workspace followed by one GEMM writing straight into
// the output (ldc = OH·OW). A 1×1, stride-1, unpadded conv needs no im2col: the input already is col.
// The bias is written into the output first and GEMM accumulates onto it (beta = 1).
// Backward recomputes col per tile instead of keeping it: dW_g += dY_g · colᵀ (GEMM), and
// dcol = W_gᵀ · dY_g (GEMM) scattered back into dX by col2im; db sums dY.
// im2col/col2im run as parallel loops (over col rows / over input channels, which write disjoint
// memory) outside GEMM, which has OpenBLAS's threads: the two never nest.

import Foundation

/// Shapes and hyper-parameters of one conv2d call.
public struct Conv2dGeometry: Sendable, Equatable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int
    public var groups: Int

    public var outH: Int { (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outW: Int { (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    /// Rows of col per group: Cin/g · kh · kw.
    public var kPerGroup: Int { inChannels / groups * kernelH * kernelW }
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Output columns per tile so that one tile of col stays within the workspace bound.
    var tileColumns: Int { Swift.max(1, Swift.min(outH * outW, Conv2dKernel.workspaceFloats / Swift.max(kPerGroup, 1))) }
}

/// The conv2d kernels.
public enum Conv2dKernel {
    /// Upper bound on the im2col workspace of one conv call, in floats (8 MiB); a tile is never
    /// narrower than one column, so a layer with K > 2M would use K floats.
    public static let workspaceFloats: Int = {
        let env = ProcessInfo.processInfo.environment["VISION_CONV_WORKSPACE_FLOATS"].flatMap(Int.init)
        return Swift.max(1024, env ?? (1 << 21))
    }()

    /// Whether stride-1 convs may use `ShiftedConv2d` (VISION_CONV_SHIFTED=0 turns it off).
    static let useShifted = ProcessInfo.processInfo.environment["VISION_CONV_SHIFTED"] != "0"

    /// Writes col rows [0, K) × tile columns [p0, p1) of image `x` (Cin × H × W) for group `group`.
    static func im2col(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, p0: Int, p1: Int,
                       _ col: UnsafeMutablePointer<Float>) {
        let t = p1 &- p0
        let cg = g.inChannels / g.groups
        let kk = g.kernelH &* g.kernelW
        let (H, W, OW) = (g.height, g.width, g.outW)
        let rows = cg &* kk
        Threading.parallelFor(rows, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(t, 1))) { r0, r1 in
            for r in r0..<r1 {
                let c = group &* cg &+ r / kk
                let ki = (r % kk) / g.kernelW, kj = r % g.kernelW
                let plane = x + c &* H &* W
                let dst = col + r &* t
                var p = p0
                while p < p1 {
                    let oh = p / OW
                    let owStart = p % OW
                    let owEnd = Swift.min(OW, owStart &+ (p1 &- p))
                    let d = dst + (p &- p0)
                    let n = owEnd &- owStart
                    let ih = oh &* g.strideH &- g.padH &+ ki &* g.dilationH
                    if ih < 0 || ih >= H {
                        d.initialize(repeating: 0, count: n)
                    } else {
                        let row = plane + ih &* W
                        let iw0 = kj &* g.dilationW &- g.padW
                        if g.strideW == 1 {
                            // Contiguous run with zero fill where it leaves the image.
                            var i = 0
                            while i < n && iw0 &+ owStart &+ i < 0 { d[i] = 0; i &+= 1 }
                            let validEnd = Swift.min(n, W &- iw0 &- owStart)
                            // Runs are short (one output row): an inline loop beats a memmove call.
                            let src = row + (iw0 &+ owStart)
                            while i < validEnd { d[i] = src[i]; i &+= 1 }
                            while i < n { d[i] = 0; i &+= 1 }
                        } else {
                            // Columns i with iw = start + i·stride inside [0, W): zero outside, gather inside.
                            let sw = g.strideW
                            let start = iw0 &+ owStart &* sw
                            let first = start >= 0 ? 0 : Swift.min(n, (-start &+ sw &- 1) / sw)
                            let last = start >= W ? first : Swift.max(first, Swift.min(n, (W &- start &+ sw &- 1) / sw))
                            if first > 0 { d.initialize(repeating: 0, count: first) }
                            let src = row + start
                            var i = first
                            while i < last { d[i] = src[i &* sw]; i &+= 1 }
                            if last < n { (d + last).initialize(repeating: 0, count: n &- last) }
                        }
                    }
                    p &+= n
                }
            }
        }
    }

    /// Adds col rows (K × tile [p0, p1)) back into image gradient `dx` (Cin × H × W) for `group`.
    static func col2im(_ col: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, p0: Int, p1: Int,
                       _ dx: UnsafeMutablePointer<Float>) {
        let t = p1 &- p0
        let cg = g.inChannels / g.groups
        let kk = g.kernelH &* g.kernelW
        let (H, W, OW) = (g.height, g.width, g.outW)
        // Each input channel receives only its own kh·kw rows: channels are disjoint across threads.
        Threading.parallelFor(cg, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(t &* kk, 1))) { c0, c1 in
            for cl in c0..<c1 {
                let plane = dx + (group &* cg &+ cl) &* H &* W
                for kIndex in 0..<kk {
                    let r = cl &* kk &+ kIndex
                    let ki = kIndex / g.kernelW, kj = kIndex % g.kernelW
                    let src = col + r &* t
                    var p = p0
                    while p < p1 {
                        let oh = p / OW
                        let owStart = p % OW
                        let n = Swift.min(OW, owStart &+ (p1 &- p)) &- owStart
                        let ih = oh &* g.strideH &- g.padH &+ ki &* g.dilationH
                        if ih >= 0 && ih < H {
                            let row = plane + ih &* W
                            let s = src + (p &- p0)
                            let iw0 = kj &* g.dilationW &- g.padW &+ owStart &* g.strideW
                            // Output columns i whose input column iw0 + i·stride lies in [0, W).
                            let sw = g.strideW
                            let first = iw0 >= 0 ? 0 : (-iw0 &+ sw &- 1) / sw
                            let last = iw0 >= W ? 0 : Swift.min(n, (W &- iw0 &+ sw &- 1) / sw)
                            if first < last {
                                if sw == 1 {
                                    let r = row + iw0
                                    for i in first..<last { r[i] += s[i] }
                                } else {
                                    for i in first..<last { row[iw0 &+ i &* sw] += s[i] }
                                }
                            }
                        }
                        p &+= n
                    }
                }
            }
        }
    }

    /// y (N × Cout × OH × OW) = conv(x, w) + bias. `w` is Cout × Cin/g × kh × kw.
    public static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        if useShifted && ShiftedConv2d.applies(g) { return ShiftedConv2d.forward(x, w, bias, y, g) }
        let ohw = g.outH &* g.outW, hw = g.height &* g.width
        let coutG = g.outChannels / g.groups, cinG = g.inChannels / g.groups
        let K = g.kPerGroup, T = g.tileColumns
        let workspace = g.isPointwise ? nil : TensorStorage(uninitializedCount: K &* T)
        for n in 0..<g.batch {
            let xn = x + n &* g.inChannels &* hw
            let yn = y + n &* g.outChannels &* ohw
            if let bias {
                for c in 0..<g.outChannels { (yn + c &* ohw).initialize(repeating: bias[c], count: ohw) }
            }
            let beta: Float = bias == nil ? 0 : 1
            for grp in 0..<g.groups {
                let wg = w + grp &* coutG &* K
                let yg = yn + grp &* coutG &* ohw
                if let workspace {
                    var p0 = 0
                    while p0 < ohw {
                        let p1 = Swift.min(ohw, p0 &+ T)
                        im2col(xn, g, group: grp, p0: p0, p1: p1, workspace.base)
                        sgemm(transposeA: false, transposeB: false, m: coutG, n: p1 &- p0, k: K, wg, lda: K,
                              workspace.base, ldb: p1 &- p0, beta: beta, yg + p0, ldc: ohw)
                        p0 = p1
                    }
                } else {
                    sgemm(transposeA: false, transposeB: false, m: coutG, n: ohw, k: cinG, wg, lda: cinG,
                          xn + grp &* cinG &* hw, ldb: hw, beta: beta, yg, ldc: ohw)
                }
            }
        }
        withExtendedLifetime(workspace) {}
    }

    /// Gradients of conv2d: dx (overwritten), dw and db (accumulated into; zero them first).
    public static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                db: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry) {
        let ohw = g.outH &* g.outW, hw = g.height &* g.width
        let coutG = g.outChannels / g.groups, cinG = g.inChannels / g.groups
        let K = g.kPerGroup, T = g.tileColumns
        let workspace = g.isPointwise ? nil : TensorStorage(uninitializedCount: K &* T)
        let dcol = (g.isPointwise || dx == nil) ? nil : TensorStorage(uninitializedCount: K &* T)
        if let dx { dx.initialize(repeating: 0, count: g.batch &* g.inChannels &* hw) }
        for n in 0..<g.batch {
            let xn = x + n &* g.inChannels &* hw
            let dyn = dy + n &* g.outChannels &* ohw
            if let db {
                for c in 0..<g.outChannels {
                    db[c] += Float(sumContiguous(dyn + c &* ohw, ohw))
                }
            }
            for grp in 0..<g.groups {
                let wg = w + grp &* coutG &* K
                let dyg = dyn + grp &* coutG &* ohw
                guard let workspace else {
                    let xg = xn + grp &* cinG &* hw
                    if let dw {
                        sgemm(transposeA: false, transposeB: true, m: coutG, n: cinG, k: ohw, dyg, lda: ohw,
                              xg, ldb: hw, beta: 1, dw + grp &* coutG &* K, ldc: K)
                    }
                    if let dx {
                        sgemm(transposeA: true, transposeB: false, m: cinG, n: ohw, k: coutG, wg, lda: cinG,
                              dyg, ldb: ohw, beta: 0, dx + n &* g.inChannels &* hw + grp &* cinG &* hw, ldc: hw)
                    }
                    continue
                }
                var p0 = 0
                while p0 < ohw {
                    let p1 = Swift.min(ohw, p0 &+ T)
                    let t = p1 &- p0
                    if let dw {
                        im2col(xn, g, group: grp, p0: p0, p1: p1, workspace.base)
                        sgemm(transposeA: false, transposeB: true, m: coutG, n: K, k: t, dyg + p0, lda: ohw,
                              workspace.base, ldb: t, beta: 1, dw + grp &* coutG &* K, ldc: K)
                    }
                    if let dx, let dcol {
                        sgemm(transposeA: true, transposeB: false, m: K, n: t, k: coutG, wg, lda: K,
                              dyg + p0, ldb: ohw, beta: 0, dcol.base, ldc: t)
                        col2im(dcol.base, g, group: grp, p0: p0, p1: p1, dx + n &* g.inChannels &* hw)
                    }
                    p0 = p1
                }
            }
        }
        withExtendedLifetime((workspace, dcol)) {}
    }
}

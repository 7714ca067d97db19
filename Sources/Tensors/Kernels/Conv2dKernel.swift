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
// memory) outside GEMM, which splits its product across the same worker pool: the two never nest. For outputs narrower
// than 32, im2col first copies the input rows it reads, zero-padded, into a scratch per parallel
// chunk (≤ Cin/g·(H+2pH)·(W+2pW) + 32 floats each, on top of the col workspace) and then copies
// fixed-length runs with 8-float vectors: 7-float runs with bounds checks cost 2.3 ns per float,
// this way 1.1 (one core).
// Dispatch (ConvAlgorithm.choose): forward runs as an implicit GEMM on our kernels
// (ImplicitGemmConv2d); the im2col paths here and in Shifted/Batched/TiledConv2d remain for the
// backward passes and as algorithms tests and benchmarks can force.

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
    /// Multiply-add FLOPs of the direct convolution: 2 · N · Cout · (Cin/g · kh · kw) · OH · OW.
    public var forwardFLOPs: Double { 2 * Double(batch) * Double(outChannels) * Double(kPerGroup) * Double(outH * outW) }
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Output columns per tile so that one tile of col stays within the workspace bound.
    var tileColumns: Int { Swift.max(1, Swift.min(outH * outW, Conv2dKernel.workspaceFloats / Swift.max(kPerGroup, 1))) }
}

/// The conv2d kernels.
package enum Conv2dKernel {
    /// Upper bound on the im2col workspace of one conv call, in floats (8 MiB); a tile is never
    /// narrower than one column, so a layer with K > 2M would use K floats.
    package static let workspaceFloats: Int = {
        let env = ProcessInfo.processInfo.environment["VISION_CONV_WORKSPACE_FLOATS"].flatMap(Int.init)
        return Swift.max(1024, env ?? (1 << 21))
    }()

    /// Whether stride-1 convs may use `ShiftedConv2d` (VISION_CONV_SHIFTED=0 turns it off).
    static let useShifted = ProcessInfo.processInfo.environment["VISION_CONV_SHIFTED"] != "0"

    /// Writes col rows [0, K) × tile columns [p0, p1) of image `x` (Cin × H × W) for group `group`.
    static func im2col(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, p0: Int, p1: Int,
                       _ col: UnsafeMutablePointer<Float>) {
        let t = p1 &- p0
        let padded = TiledConv2d.usesPaddedIm2col(g)
        Threading.parallelFor(g.kPerGroup, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(t, 1))) { r0, r1 in
            if padded {
                // Each chunk pads the input rows it reads into its own scratch (reused buffers).
                let scratch = TensorStorage(uninitializedCount: paddedScratchFloats(g))
                im2colRowsPadded(x, g, group: group, rows: r0, r1, p0: p0, p1: p1, col, scratch: scratch.base)
                withExtendedLifetime(scratch) {}
            } else {
                im2colRows(x, g, group: group, rows: r0, r1, p0: p0, p1: p1, col)
            }
        }
    }

    /// Serially writes col rows [r0, r1) × tile columns [p0, p1) (row r at `col + r·(p1 − p0)`).
    /// Whether output column ow reads inside the image depends on ow and the tap only, so each row
    /// computes that range once; a tile is then walked output row by output row without divisions
    /// (a 7×7 output's runs are 7 floats long, where per-run arithmetic would dominate).
    static func im2colRows(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, rows r0: Int, _ r1: Int,
                           p0: Int, p1: Int, _ col: UnsafeMutablePointer<Float>, ld: Int? = nil) {
        guard p1 > p0 else { return }
        let t = ld ?? (p1 &- p0)
        let cg = g.inChannels / g.groups
        let (kh, kw) = (g.kernelH, g.kernelW)
        let kk = kh &* kw
        let (H, W, OW) = (g.height, g.width, g.outW)
        let (sh, sw) = (g.strideH, g.strideW)
        let ohFirst = p0 / OW, ohLast = (p1 &- 1) / OW
        for r in r0..<r1 {
            let cl = r / kk
            let tap = r &- cl &* kk
            let ki = tap / kw
            let kj = tap &- ki &* kw
            let plane = x + (group &* cg &+ cl) &* H &* W
            let dst = col + r &* t
            let iw0 = kj &* g.dilationW &- g.padW
            let ih0 = ki &* g.dilationH &- g.padH
            // Output columns [validFirst, validLast) read input columns iw0 + ow·sw inside [0, W).
            let validFirst = iw0 >= 0 ? 0 : Swift.min(OW, (sw &- 1 &- iw0) / sw)
            let validLast = iw0 >= W ? validFirst : Swift.max(validFirst, Swift.min(OW, (W &- iw0 &+ sw &- 1) / sw))
            for oh in ohFirst...ohLast {
                let rowStart = oh &* OW
                let a = Swift.max(p0, rowStart) &- rowStart, b = Swift.min(p1, rowStart &+ OW) &- rowStart
                let d = dst + (rowStart &+ a &- p0)  // column ow = a
                let ih = oh &* sh &+ ih0
                if ih < 0 || ih >= H {
                    d.update(repeating: 0, count: b &- a)
                    continue
                }
                let f = Swift.min(Swift.max(a, validFirst), b), l = Swift.max(Swift.min(b, validLast), f)
                var i = 0
                let zeros = f &- a
                while i < zeros { d[i] = 0; i &+= 1 }
                // Runs are short (one output row): inline loops beat a memmove call.
                let n = l &- f
                let dd = d + zeros
                let srcOffset = ih &* W &+ iw0 &+ f &* sw
                let src = plane + srcOffset
                i = 0
                if sw == 1 && n >= 8 {
                    copyRun8(src, dd, n)
                } else if sw == 1 {
                    while i < n { dd[i] = src[i]; i &+= 1 }
                } else if sw == 2 && n >= 8 && srcOffset &+ 2 &* n <= H &* W {
                    // (the vector loads read src[2n − 1], one past the last float used)
                    copyRunStride2(src, dd, n)
                } else if sw == 2 {
                    while i < n { dd[i] = src[i &* 2]; i &+= 1 }
                } else {
                    while i < n { dd[i] = src[i &* sw]; i &+= 1 }
                }
                let tail = d + (l &- a)
                i = 0
                while i < b &- l { tail[i] = 0; i &+= 1 }
            }
        }
    }

    /// Floats of scratch `im2colRowsPadded` needs at most: a zero-padded copy of every input plane.
    static func paddedScratchFloats(_ g: Conv2dGeometry) -> Int {
        g.inChannels / g.groups &* (g.height &+ 2 &* g.padH) &* (g.width &+ 2 &* g.padW) &+ 32
    }

    /// Writes what `im2colRows` writes, for outputs with short rows: first copies the input rows
    /// the tile reads, zero-padded, into `scratch` (≤ `paddedScratchFloats(g)` floats, which include 32 of slack for vector reads), so that each
    /// output-row run becomes a copy of a fixed length without bounds checks. Short runs of
    /// varying length cost more in mispredicted branches than in copying (7×7 outputs: 2.3 ns per
    /// float with bounds checks).
    static func im2colRowsPadded(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, rows r0: Int, _ r1: Int,
                                 p0: Int, p1: Int, _ col: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        guard p1 > p0, r1 > r0 else { return }
        let t = p1 &- p0
        let cg = g.inChannels / g.groups
        let (kh, kw) = (g.kernelH, g.kernelW)
        let kk = kh &* kw
        let (H, W, OW) = (g.height, g.width, g.outW)
        let (sh, sw, dh, dw, ph, pw) = (g.strideH, g.strideW, g.dilationH, g.dilationW, g.padH, g.padW)
        let wp = W &+ 2 &* pw
        let cl0 = r0 / kk, cl1 = (r1 &- 1) / kk &+ 1
        let oh0 = p0 / OW, oh1 = (p1 &- 1) / OW &+ 1
        let py0 = oh0 &* sh, py1 = (oh1 &- 1) &* sh &+ (kh &- 1) &* dh &+ 1  // padded rows read
        let planeP = (py1 &- py0) &* wp
        for cl in cl0..<cl1 {
            let src = x + (group &* cg &+ cl) &* H &* W
            var d = scratch + (cl &- cl0) &* planeP
            for py in py0..<py1 {
                let ih = py &- ph
                if ih < 0 || ih >= H {
                    var i = 0
                    while i < wp { d[i] = 0; i &+= 1 }
                } else {
                    var i = 0
                    while i < pw { d[i] = 0; i &+= 1 }
                    let s = src + ih &* W, dd = d + pw
                    i = 0
                    while i < W { dd[i] = s[i]; i &+= 1 }
                    let tail = d + (pw &+ W)
                    i = 0
                    while i < wp &- pw &- W { tail[i] = 0; i &+= 1 }
                }
                d += wp
            }
        }
        let chunkEnd = col + r1 &* t
        for r in r0..<r1 {
            let cl = r / kk
            let tap = r &- cl &* kk
            let ki = tap / kw
            let kj = tap &- ki &* kw
            let plane = scratch + (cl &- cl0) &* planeP
            let dst = col + r &* t
            for oh in oh0..<oh1 {
                let rowStart = oh &* OW
                let a = Swift.max(p0, rowStart) &- rowStart, b = Swift.min(p1, rowStart &+ OW) &- rowStart
                let d = dst + (rowStart &+ a &- p0)
                let src = plane + ((oh &* sh &+ ki &* dh &- py0) &* wp &+ kj &* dw &+ a &* sw)
                let n = b &- a
                // A run shorter than 8 may be stored as 8 floats when the excess lands on later runs
                // of this chunk's rows (written after it): never past the chunk's last row, which
                // another chunk or the end of col follows (a 1-column tile's runs are 1 float long).
                let mayOverrun = d + 8 <= chunkEnd
                if sw == 1 && (n >= 8 || mayOverrun) {
                    copyRun8(src, d, n)
                } else if sw == 2 && (n >= 8 || mayOverrun) {
                    copyRunStride2(src, d, n)
                } else {
                    var i = 0
                    while i < n { d[i] = src[i &* sw]; i &+= 1 }
                }
            }
        }
    }

    /// Copies n floats in 8-float vectors (the last one overlapping when n ≥ 8; one vector,
    /// overrunning by 8 − n, when n < 8). Reads up to 8 floats from `src`.
    @inline(__always)
    static func copyRun8(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        let s = UnsafeRawPointer(src), o = UnsafeMutableRawPointer(d)
        if n < 8 {
            o.storeBytes(of: s.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            return
        }
        var i = 0
        while i &+ 8 <= n {
            o.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        if i < n {
            let last = (n &- 8) &* 4
            o.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
        }
    }

    /// Copies d[i] = src[2i] for i < n like `copyRun8`. Reads src[0 ..< max(16, 2n)].
    @inline(__always)
    static func copyRunStride2(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        let s = UnsafeRawPointer(src), o = UnsafeMutableRawPointer(d)
        if n < 8 {
            o.storeBytes(of: s.loadUnaligned(as: SIMD16<Float>.self).evenHalf, as: SIMD8<Float>.self)
            return
        }
        var i = 0
        while i &+ 8 <= n {
            o.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 8, as: SIMD16<Float>.self).evenHalf,
                         toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        if i < n {
            let last = n &- 8
            o.storeBytes(of: s.loadUnaligned(fromByteOffset: last &* 8, as: SIMD16<Float>.self).evenHalf,
                         toByteOffset: last &* 4, as: SIMD8<Float>.self)
        }
    }

    /// Adds col rows (K × tile [p0, p1)) back into image gradient `dx` (Cin × H × W) for `group`.
    static func col2im(_ col: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, p0: Int, p1: Int,
                       _ dx: UnsafeMutablePointer<Float>) {
        let t = p1 &- p0
        let kk = g.kernelH &* g.kernelW
        // Each input channel receives only its own kh·kw rows: channels are disjoint across threads.
        Threading.parallelFor(g.inChannels / g.groups, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(t &* kk, 1))) { c0, c1 in
            col2imChannels(col + c0 &* kk &* t, g, group: group, channels: c0, c1, p0: p0, p1: p1, dx)
        }
    }

    /// Serially adds the col rows of group-local input channels [c0, c1) (channel c's kh·kw rows
    /// start at `col + (c − c0)·kh·kw·(p1 − p0)`) over tile columns [p0, p1) into `dx` (Cin × H × W).
    static func col2imChannels(_ col: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, channels c0: Int, _ c1: Int,
                               p0: Int, p1: Int, _ dx: UnsafeMutablePointer<Float>, ld: Int? = nil) {
        let t = ld ?? (p1 &- p0)
        let cg = g.inChannels / g.groups
        let kk = g.kernelH &* g.kernelW
        let (H, W, OW) = (g.height, g.width, g.outW)
        let sw = g.strideW
        for cl in c0..<c1 {
            let plane = dx + (group &* cg &+ cl) &* H &* W
            for kIndex in 0..<kk {
                let ki = kIndex / g.kernelW, kj = kIndex % g.kernelW
                let src = col + ((cl &- c0) &* kk &+ kIndex) &* t
                var p = p0
                while p < p1 {
                    let oh = p / OW
                    let owStart = p &- oh &* OW
                    let n = Swift.min(OW &- owStart, p1 &- p)
                    let ih = oh &* g.strideH &- g.padH &+ ki &* g.dilationH
                    if ih >= 0 && ih < H {
                        let row = plane + ih &* W
                        let s = src + (p &- p0)
                        let iw0 = kj &* g.dilationW &- g.padW &+ owStart &* sw
                        // Output columns i whose input column iw0 + i·stride lies in [0, W).
                        let first = iw0 >= 0 ? 0 : (sw &- 1 &- iw0) / sw
                        let last = iw0 >= W ? 0 : Swift.min(n, (W &- iw0 &+ sw &- 1) / sw)
                        var i = first
                        if sw == 1 {
                            let r = row + iw0
                            while i < last { r[i] += s[i]; i &+= 1 }
                        } else {
                            while i < last { row[iw0 &+ i &* sw] += s[i]; i &+= 1 }
                        }
                    }
                    p &+= n
                }
            }
        }
    }

    /// y (N × Cout × OH × OW) = act(conv(x, w) + bias + residual), by the algorithm
    /// `ConvAlgorithm.choose` picks. `w` is Cout × Cin/g × kh × kw; `packed` (if it matches the
    /// shape and the active ISA) saves packing `w` again; `residual` has y's shape.
    package static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                               _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry, packed: PackedConvWeights? = nil,
                               residual: UnsafePointer<Float>? = nil, activation: ConvActivation = .none) {
        if let live = LiveTaps(g) {
            // Taps that read only padding: the conv of the live ones (`packed` is of the full kernel).
            let cropped = TensorStorage(uninitializedCount: live.geometry.outChannels &* live.geometry.kPerGroup)
            live.crop(w, into: cropped.base)
            forward(x, cropped.base, bias, y, live.geometry, residual: residual, activation: activation)
            withExtendedLifetime(cropped) {}
            return
        }
        let algorithm = ConvAlgorithm.choose(for: g, .forward, weightsPrepared: packed != nil)
        if algorithm == .depthwise {
            return DepthwiseConvolution.forward(x, w, bias: bias, residual: residual, activation: activation, y, g)
        }
        if algorithm == .winograd {
            let isa = KernelISA.active
            let weights = packed.flatMap { $0.matches(g, isa: isa) ? $0.winograd() : nil }
                ?? WinogradWeights(w, outChannels: g.outChannels, inChannels: g.inChannels, isa: isa)
            WinogradConv2d.forward(x, weights: weights, bias: bias, residual: residual, activation: activation, y, g)
            return
        }
        if algorithm == .direct {
            let isa = KernelISA.active
            let weights = packed.flatMap { $0.matches(g, isa: isa) ? $0.direct() : nil }
                ?? DirectWeights(w, outChannels: g.outChannels, kPerGroup: g.kPerGroup, isa: isa)
            DirectConvolution.forward(x, weights: weights, bias: bias, residual: residual, activation: activation, y, g)
            return
        }
        if algorithm == .implicitGemm {
            let isa = KernelISA.active
            let weights = packed.flatMap { $0.matches(g, isa: isa) ? $0 : nil }
                ?? PackedConvWeights(w, shape: [g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW], groups: g.groups, isa: isa)
            ImplicitGemmConv2d.forward(x, packed: weights, bias: bias, residual: residual, activation: activation, y, g)
            return
        }
        switch algorithm {
        case .shifted: ShiftedConv2d.forward(x, w, bias, y, g)
        case .batched: BatchedConv2d.forward(x, w, bias, y, g)
        case .tiled: TiledConv2d.forward(x, w, bias, y, g)
        default: im2colForward(x, w, bias, y, g)
        }
        guard residual != nil || activation != .none else { return }
        let count = g.batch &* g.outChannels &* g.outH &* g.outW
        nonisolated(unsafe) let out = y
        Threading.parallelFor(count) { i0, i1 in
            var i = i0
            while i < i1 {
                var v = out[i]
                if let residual { v += residual[i] }
                if activation == .relu && v < 0 { v = 0 }
                out[i] = v
                i &+= 1
            }
        }
    }

    /// The plain path: im2col tiles into a bounded workspace, each followed by one GEMM.
    static func im2colForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                              _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
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
    package static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                dx dxRequested: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                db: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry) {
        if let live = LiveTaps(g) {
            // Taps that read only padding: the gradients of the conv of the live ones; the dead
            // taps' weight gradient is zero.
            let count = live.geometry.outChannels &* live.geometry.kPerGroup
            let cropped = TensorStorage(uninitializedCount: count)
            live.crop(w, into: cropped.base)
            let croppedDW = dw.map { _ in TensorStorage(uninitializedCount: count) }
            croppedDW?.base.initialize(repeating: 0, count: count)
            backward(x, cropped.base, dy, dx: dxRequested, dw: croppedDW?.base, db: db, live.geometry)
            if let dw, let croppedDW { live.accumulate(croppedDW.base, into: dw) }
            withExtendedLifetime((cropped, croppedDW)) {}
            return
        }
        var dx = dxRequested, dw = dw, db = db
        if let target = dx, ConvAlgorithm.chooseInputGradient(for: g) == .implicitGemm {
            inputGradientAsConvolution(w, dy, target, g)
            dx = nil
        }
        if let target = dw {
            let choice = ConvAlgorithm.chooseWeightGradient(for: g)
            if choice == .implicitGemm || choice == .direct {
                if choice == .direct {
                    DirectConvolution.accumulateWeightGradient(x, dy, dw: target, db: db, g)
                } else {
                    ImplicitGemmWeightGradient.accumulate(x, dy, dw: target, db: db, g)
                }
                dw = nil
                db = nil
            }
        }
        guard dx != nil || dw != nil || db != nil else { return }
        switch ConvAlgorithm.choose(for: g, .backward) {
        case .depthwise: return DepthwiseConvolution.backward(x, w, dy, dx: dx, dw: dw, db: db, g)
        case .batched: return BatchedConv2d.backward(x, w, dy, dx: dx, dw: dw, db: db, g)
        case .tiled: if TiledConv2d.backward(x, w, dy, dx: dx, dw: dw, db: db, g) { return }
        default: break
        }
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

    /// dx of a stride-1, undilated, ungrouped conv as a forward conv of dy with the weights flipped
    /// and transposed (Cin × Cout × kh × kw, taps reversed) and padding k − 1 − p: the implicit GEMM
    /// over the batch's columns, with no col2im (ConvAlgorithm.chooseInputGradient decides), or by
    /// Winograd or the direct kernel where the forward rule picks it for that conv.
    static func inputGradientAsConvolution(_ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                           _ dx: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        let (cin, cout, kh, kw) = (g.inChannels, g.outChannels, g.kernelH, g.kernelW)
        let transposed = Conv2dGeometry(batch: g.batch, inChannels: cout, height: g.outH, width: g.outW,
                                        outChannels: cin, kernelH: kh, kernelW: kw, strideH: 1, strideW: 1,
                                        padH: kh &- 1 &- g.padH, padW: kw &- 1 &- g.padW, dilationH: 1, dilationW: 1, groups: 1)
        switch ConvAlgorithm.choose(for: transposed, .forward, weightsPrepared: false) {
        case .winograd:
            let weights = WinogradWeights(w, outChannels: cin, inChannels: cout, isa: KernelISA.active, flippedTranspose: true)
            return WinogradConv2d.forward(dy, weights: weights, bias: nil, residual: nil, activation: .none, dx, transposed)
        case .direct:
            let weights = DirectWeights(flippedTransposeOf: w, outChannels: cout, inChannels: cin, kernelH: kh, kernelW: kw,
                                        isa: KernelISA.active)
            return DirectConvolution.forward(dy, weights: weights, bias: nil, residual: nil, activation: .none, dx, transposed)
        default:
            break
        }
        let packed = PackedConvWeights(flippedTransposeOf: w, outChannels: cout, inChannels: cin, kernelH: kh, kernelW: kw,
                                       isa: KernelISA.active)
        ImplicitGemmConv2d.forward(dy, packed: packed, bias: nil, residual: nil, activation: .none, dx, transposed)
    }
}

// conv2d by im2col + GEMM with one pipeline per thread (the "tiled" path: the default backward with
// more than one thread for what is not a batch of small maps; forward only when forced, see
// ConvAlgorithm).
//
// Design. The plain path (Conv2dKernel) runs a parallel im2col over the whole column matrix, then
// one two-thread OpenBLAS GEMM reading it back: two fork/joins, and OpenBLAS reaches only ~65% of
// twice its one-thread speed on these shapes (e.g. 64×12544×147: 126 GFLOP/s on two threads,
// 81–100 on one). Here each thread runs whole items start to finish with a one-thread GEMM: build
// the col tile (K × Nt) in its own workspace, fill the output tile with the bias (GEMM then runs
// with beta = 1 instead of zeroing C first), multiply. Items are (image, group, column tile),
// taken round-robin. When there are fewer items than threads and few output columns (7×7, 14×14
// outputs), narrow column tiles would repack all the weights for little work, so the threads
// instead build one shared col by rows and then multiply disjoint blocks of output channels.
// Outputs narrower than 32 build col from a zero-padded copy of the input rows (fixed-length,
// check-free runs; Conv2dKernel.im2colRowsPadded).
// Backward: the same items; weight gradients go to private copies (thread 0: dw itself) summed
// at the end, or to disjoint rows in the channel-block mode; input gradients are split by input
// channels (disjoint memory), or, for conv1's 3 channels, by items into private copies of dx.
// Why per-thread pipelines: GEMMs run single-threaded in this process (see Parallel.swift), so no
// GEMM worker spins between calls and both cores do whole pipelines. (With OpenBLAS's own
// two-thread pool, its worker spun in sched_yield for ~0.1 s after each call and this path lost:
// conv1 4.4–5.0 ms against 2.5–3.6 ms for the plain path.) VISION_CONV_TILED=0 turns it off.
// Threads: GEMMs here are called inside parallel loop bodies, where `sgemm` runs on its caller.
// Workspace: forward threads · (K · Nt + padded input) floats, backward threads · (2 · K · Nt +
// padded input + private dw/dx) floats, kept ≤ `Conv2dKernel.workspaceFloats` (2M by default):
// the tile width Nt is chosen for that, and backward falls back to the plain path when the
// private copies alone would take half of it. A tile is never narrower than one column, so a
// layer with K > bound / threads exceeds the bound (as in the plain path).

import CBLAS
import Foundation

/// The per-thread im2col + GEMM conv2d path (see the file header).
enum TiledConv2d {
    /// Whether the tiled path is used (default; VISION_CONV_TILED=0 turns it off).
    static let enabled = ProcessInfo.processInfo.environment["VISION_CONV_TILED"] != "0"
    /// Below threads × this many output columns (per image and group) the work is split by output
    /// channels instead of column tiles: a narrow tile repacks all the weights for little work
    /// (512×49×2304 as two 512×25 GEMMs ran at 72 GFLOP/s on one core, as two 256×49 at 89).
    static let minSplitColumns = 128

    /// Whether the tiled path applies: more than one thread, and a conv that needs an im2col.
    static func applies(_ g: Conv2dGeometry) -> Bool {
        enabled && Threading.count > 1 && !Threading.usesOpenBLASPool && !g.isPointwise
    }

    /// How the work is cut: column tiles per (image, group), tile width, and row blocks.
    struct Plan {
        var tilesPerImage: Int
        var tileWidth: Int
        var rowBlocks: Int
    }

    /// The cut for `threads` threads that each hold `buffers` col-sized tiles within `budget` floats.
    static func plan(_ g: Conv2dGeometry, threads: Int, buffers: Int = 1,
                     budget: Int = Conv2dKernel.workspaceFloats) -> Plan {
        let ohw = g.outH * g.outW, K = Swift.max(1, g.kPerGroup)
        let images = g.batch * g.groups
        let cap = Swift.max(1, budget / threads / buffers / K)
        var tiles = (ohw + cap - 1) / cap
        var rowBlocks = 1
        if images * tiles < threads {
            if ohw >= threads * minSplitColumns {
                tiles = threads
            } else if g.outChannels / g.groups >= threads * 16 {
                rowBlocks = threads
            }
        } else if images == 1 && tiles % threads != 0 && tiles < 4 * threads {
            tiles += threads - tiles % threads  // equal shares
        }
        // Widths: multiples of 16 (the GEMM's unroll) but the last.
        var width = (ohw + tiles - 1) / tiles
        if width < ohw { width = Swift.min(ohw, (width + 15) & ~15) }
        tiles = (ohw + width - 1) / width
        return Plan(tilesPerImage: tiles, tileWidth: width, rowBlocks: rowBlocks)
    }

    /// Whether im2col goes through a padded copy of the input (`Conv2dKernel.im2colRowsPadded`):
    /// for outputs narrower than 32 with padding or a kernel wider than 1 (measured 1.5–2× faster
    /// there; slower for unpadded 1×1 kernels, where nothing needs padding).
    static func usesPaddedIm2col(_ g: Conv2dGeometry) -> Bool {
        g.outW < 32 && (g.kernelH > 1 || g.kernelW > 1 || g.padH > 0 || g.padW > 0)
    }

    /// im2col of rows [r0, r1) × columns [c0, c1) of image `xn`, through `scratch` when padded.
    @inline(__always)
    static func fillCol(_ xn: UnsafePointer<Float>, _ g: Conv2dGeometry, group: Int, rows r0: Int, _ r1: Int,
                        _ c0: Int, _ c1: Int, _ col: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?) {
        if let scratch {
            Conv2dKernel.im2colRowsPadded(xn, g, group: group, rows: r0, r1, p0: c0, p1: c1, col, scratch: scratch)
        } else {
            Conv2dKernel.im2colRows(xn, g, group: group, rows: r0, r1, p0: c0, p1: c1, col)
        }
    }

    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        Threading.ensureConfigured()
        let threads = Threading.count
        let scratchFloats = usesPaddedIm2col(g) ? Conv2dKernel.paddedScratchFloats(g) : 0
        let p = plan(g, threads: threads, budget: Swift.max(1, Conv2dKernel.workspaceFloats &- threads &* scratchFloats))
        let ohw = g.outH &* g.outW, hw = g.height &* g.width
        let coutG = g.outChannels / g.groups, K = g.kPerGroup
        let rowSplit = p.rowBlocks > 1
        // Row split: one col shared by all threads; otherwise one col tile per thread.
        let colFloats = K &* (rowSplit ? ohw : p.tileWidth)
        let perThread = (rowSplit ? 0 : colFloats) &+ scratchFloats
        let workspace = TensorStorage(uninitializedCount: threads &* perThread &+ (rowSplit ? colFloats : 0))
        let items = g.batch &* g.groups &* p.tilesPerImage
        let ws = workspace.base
        if rowSplit {
            // Few output columns: threads share one col (built by rows, then multiplied by blocks
            // of output channels) instead of each building all of it.
            let col = ws + threads &* perThread
            for item in 0..<items {
                let grp = item % g.groups, n = item / g.groups
                let xn = x + n &* g.inChannels &* hw
                Threading.parallelFor(threads, grain: 1) { t0, t1 in
                    for t in t0..<t1 {
                        fillCol(xn, g, group: grp, rows: K &* t / threads, K &* (t &+ 1) / threads, 0, ohw, col,
                                scratch: scratchFloats > 0 ? ws + t &* perThread : nil)
                    }
                }
                Threading.parallelFor(threads, grain: 1) { t0, t1 in
                    for t in t0..<t1 {
                        let m0 = (coutG &* t / threads) & ~7
                        let m1 = t == threads &- 1 ? coutG : (coutG &* (t &+ 1) / threads) & ~7
                        let yOffset: Int = (n &* g.outChannels &+ grp &* coutG &+ m0) &* ohw
                        gemmTile(w + (grp &* coutG &+ m0) &* K, bias.map { $0 + (grp &* coutG &+ m0) }, rows: m1 &- m0, K: K,
                                 col, columns: ohw, y + yOffset, ldc: ohw)
                    }
                }
            }
        } else {
            Threading.parallelFor(threads, grain: 1) { t0, t1 in
                for t in t0..<t1 {
                    let col = ws + t &* perThread
                    let scratch = scratchFloats > 0 ? col + colFloats : nil
                    var item = t
                    while item < items {
                        let tile = item % p.tilesPerImage
                        let grp = (item / p.tilesPerImage) % g.groups
                        let n = item / (p.tilesPerImage &* g.groups)
                        let c0 = tile &* p.tileWidth, c1 = Swift.min(ohw, c0 &+ p.tileWidth)
                        fillCol(x + n &* g.inChannels &* hw, g, group: grp, rows: 0, K, c0, c1, col, scratch: scratch)
                        let yOffset: Int = (n &* g.outChannels &+ grp &* coutG) &* ohw &+ c0
                        gemmTile(w + grp &* coutG &* K, bias.map { $0 + (grp &* coutG) }, rows: coutG, K: K,
                                 col, columns: c1 &- c0, y + yOffset, ldc: ohw)
                        item &+= threads
                    }
                }
            }
        }
        withExtendedLifetime(workspace) {}
    }

    /// y (rows × columns, leading dimension ldc) = w (rows × K) · col (K × columns) + bias: the
    /// output is filled with the bias first so that GEMM accumulates (beta = 1) instead of zeroing.
    @inline(__always)
    static func gemmTile(_ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, rows: Int, K: Int,
                         _ col: UnsafePointer<Float>, columns: Int, _ y: UnsafeMutablePointer<Float>, ldc: Int) {
        guard rows > 0 else { return }
        if let bias {
            for m in 0..<rows { (y + m &* ldc).update(repeating: bias[m], count: columns) }
        }
        sgemm(transposeA: false, transposeB: false, m: rows, n: columns, k: K, w, lda: K, col, ldb: columns,
              beta: bias == nil ? 0 : 1, y, ldc: ldc)
    }
}

extension TiledConv2d {
    /// Gradients as `Conv2dKernel.backward` computes them (dx overwritten, dw and db accumulated
    /// into), each thread running its own im2col → GEMM → col2im pipelines with single-threaded GEMMs.
    /// Weight gradient: threads take disjoint items and accumulate into private copies of dw (thread 0
    /// into dw itself), summed at the end; or, when the plan splits output channels, disjoint rows
    /// of dw. Input gradient: each thread computes dcol rows of its own input channels and scatters
    /// them (disjoint memory); with fewer channels than that split balances (conv1's 3), threads
    /// take disjoint items and scatter into whole images, private ones for threads > 0 when two
    /// threads share an image. Returns false, doing nothing, when the private copies would not fit
    /// in half of the workspace bound.
    static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                         db: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry) -> Bool {
        Threading.ensureConfigured()
        let threads = Threading.count
        let ohw = g.outH &* g.outW, hw = g.height &* g.width
        let coutG = g.outChannels / g.groups, cinG = g.inChannels / g.groups
        let K = g.kPerGroup, kk = g.kernelH &* g.kernelW
        let images = g.batch &* g.groups
        let scratchFloats = usesPaddedIm2col(g) && dw != nil ? Conv2dKernel.paddedScratchFloats(g) : 0
        let budget = Swift.max(1, Conv2dKernel.workspaceFloats &- threads &* scratchFloats)
        let rowSplit = plan(g, threads: threads, buffers: 2, budget: budget).rowBlocks > 1
        let dxByChannels = rowSplit || cinG % threads == 0 || cinG >= 4 &* threads
        let imageOwned = images >= threads
        let dwPrivate = dw != nil && !rowSplit ? g.outChannels &* K : 0
        let dxPrivate = dx != nil && !dxByChannels && !imageOwned ? g.batch &* g.inChannels &* hw : 0
        let privates = (threads &- 1) &* (dwPrivate &+ dxPrivate)
        guard privates <= Conv2dKernel.workspaceFloats / 2 else { return false }
        let p = plan(g, threads: threads, buffers: 2, budget: Swift.max(1, budget &- privates))
        let width = rowSplit ? ohw : p.tileWidth
        let perThread = 2 &* K &* width &+ dwPrivate &+ dxPrivate &+ scratchFloats
        let workspace = TensorStorage(uninitializedCount: threads &* perThread)
        let ws = workspace.base
        let items = images &* p.tilesPerImage

        if let dx { dx.initialize(repeating: 0, count: g.batch &* g.inChannels &* hw) }
        if let db {
            for n in 0..<g.batch {
                for c in 0..<g.outChannels { db[c] += Float(sumContiguous(dy + (n &* g.outChannels &+ c) &* ohw, ohw)) }
            }
        }
        guard dx != nil || dw != nil else { return true }
        Threading.parallelFor(threads, grain: 1) { t0, t1 in
            for t in t0..<t1 {
                let col = ws + t &* perThread, dcol = col + K &* width
                let dwT = t == 0 || dwPrivate == 0 ? dw : dcol + K &* width
                let dxT = t == 0 || dxPrivate == 0 ? dx : dcol + (K &* width &+ dwPrivate)
                if t > 0, let dwT, dwPrivate > 0 { dwT.initialize(repeating: 0, count: dwPrivate) }
                if t > 0, let dxT, dxPrivate > 0 { dxT.initialize(repeating: 0, count: dxPrivate) }
                let m0 = rowSplit ? (coutG &* t / threads) & ~7 : 0
                let m1 = !rowSplit || t == threads &- 1 ? coutG : (coutG &* (t &+ 1) / threads) & ~7
                let ch0 = cinG &* t / threads, ch1 = cinG &* (t &+ 1) / threads
                func tile(_ item: Int) -> (n: Int, grp: Int, c0: Int, c1: Int) {
                    let c0 = (item % p.tilesPerImage) &* p.tileWidth
                    let image = item / p.tilesPerImage
                    return (image / g.groups, image % g.groups, c0, Swift.min(ohw, c0 &+ p.tileWidth))
                }
                func owns(_ item: Int) -> Bool {
                    rowSplit || (imageOwned ? (item / p.tilesPerImage) % threads == t : item % threads == t)
                }
                // Weight gradient, and the input gradient when it is split by items.
                for item in 0..<items where owns(item) {
                    let (n, grp, c0, c1) = tile(item)
                    let nt = c1 &- c0
                    let dyOffset: Int = (n &* g.outChannels &+ grp &* coutG) &* ohw &+ c0
                    let dyt = dy + dyOffset
                    if let dwT, m0 < m1 {
                        let xn = x + n &* g.inChannels &* hw
                        fillCol(xn, g, group: grp, rows: 0, K, c0, c1, col,
                                scratch: scratchFloats > 0 ? col + (2 &* K &* width &+ dwPrivate &+ dxPrivate) : nil)
                        let dwOffset: Int = (grp &* coutG &+ m0) &* K
                        sgemm(transposeA: false, transposeB: true, m: m1 &- m0, n: K, k: nt, dyt + m0 &* ohw, lda: ohw,
                              col, ldb: nt, beta: 1, dwT + dwOffset, ldc: K)
                    }
                    if let dxT, !dxByChannels {
                        sgemm(transposeA: true, transposeB: false, m: K, n: nt, k: coutG, w + grp &* coutG &* K, lda: K,
                              dyt, ldb: ohw, beta: 0, dcol, ldc: nt)
                        Conv2dKernel.col2imChannels(dcol, g, group: grp, channels: 0, cinG, p0: c0, p1: c1,
                                                    dxT + n &* g.inChannels &* hw)
                    }
                }
                // Input gradient split by input channels: every item, this thread's channels.
                if let dx, dxByChannels, ch0 < ch1 {
                    for item in 0..<items {
                        let (n, grp, c0, c1) = tile(item)
                        let nt = c1 &- c0
                        let dyOffset: Int = (n &* g.outChannels &+ grp &* coutG) &* ohw &+ c0
                        let wOffset: Int = grp &* coutG &* K &+ ch0 &* kk
                        sgemm(transposeA: true, transposeB: false, m: (ch1 &- ch0) &* kk, n: nt, k: coutG, w + wOffset, lda: K,
                              dy + dyOffset, ldb: ohw, beta: 0, dcol, ldc: nt)
                        Conv2dKernel.col2imChannels(dcol, g, group: grp, channels: ch0, ch1, p0: c0, p1: c1,
                                                    dx + n &* g.inChannels &* hw)
                    }
                }
            }
        }
        // Sum the private copies into thread 0's.
        func reduce(_ target: UnsafeMutablePointer<Float>, count: Int, offset: Int) {
            Threading.parallelFor(count) { i0, i1 in
                for t in 1..<threads {
                    let src = ws + (t &* perThread &+ 2 &* K &* width &+ offset)
                    var i = i0
                    while i < i1 { target[i] += src[i]; i &+= 1 }
                }
            }
        }
        if let dw, dwPrivate > 0 { reduce(dw, count: dwPrivate, offset: 0) }
        if let dx, dxPrivate > 0 { reduce(dx, count: dxPrivate, offset: dwPrivate) }
        withExtendedLifetime(workspace) {}
        return true
    }
}


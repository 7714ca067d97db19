// conv2d for small outputs in a batch (fewer than 100 positions per image: ResNet's later stages
// at 64² inputs). Per image, such a GEMM has only ohw columns, so
// OpenBLAS repacks the whole weight matrix for very little work (at 2×2 outputs, 4 columns). Here
// B images are processed at once: their im2col columns sit side by side in one K × B·ohw matrix.
//
// Forward, per chunk of B images: col ← im2col of each image (parallel over images), out (Cout ×
// B·ohw) ← W · col (one split sgemm), then each image's Cout × ohw block is copied to y, adding the
// bias. Backward, per chunk: dY gathered into Cout × B·ohw; dW += dY · colᵀ; db += row sums of dY;
// dcol ← Wᵀ · dY, then col2im per image (parallel over images, disjoint dx).
// Workspace: (2·K + Cout) · B·ohw floats at most (col, dcol, gathered out/dY); B is chosen so that
// this stays within `Conv2dKernel.workspaceFloats` (2M floats by default), at least one image.
// Groups > 1 are left to the other paths.

import Foundation

enum BatchedConv2d {
    /// Outputs with fewer positions per image than this take this path (when the batch has > 1 image).
    static let maxColumnsPerImage = 100
    /// Columns per GEMM aimed for: past this, more images per chunk gain little.
    static let targetColumns = 1024
    /// Whether the path is used (default; VISION_CONV_BATCHED=0 turns it off).
    static let enabled = ProcessInfo.processInfo.environment["VISION_CONV_BATCHED"] != "0"

    static func applies(_ g: Conv2dGeometry) -> Bool {
        enabled && g.batch > 1 && g.groups == 1 && g.outH &* g.outW < maxColumnsPerImage
    }

    /// Images per chunk: enough for `targetColumns`, within the workspace bound.
    static func imagesPerChunk(_ g: Conv2dGeometry) -> Int {
        let ohw = Swift.max(1, g.outH &* g.outW)
        let perImage = (2 &* g.kPerGroup &+ g.outChannels) &* ohw
        let byBudget = Swift.max(1, Conv2dKernel.workspaceFloats / Swift.max(perImage, 1))
        let byTarget = Swift.max(1, (targetColumns &+ ohw &- 1) / ohw)
        return Swift.min(g.batch, byBudget, byTarget)
    }

    /// Writes the im2col of images n0..<n0+b side by side into col (K × b·ohw). Narrow outputs go
    /// through a zero-padded copy of the input (`Conv2dKernel.im2colRowsPadded`, fast on short rows)
    /// into a per-chunk buffer first, then row by row into place: that im2col writes up to a vector
    /// past the end of each row, which here would land in the next image's columns.
    static func fillColumns(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry, images n0: Int, count b: Int,
                            _ col: UnsafeMutablePointer<Float>) {
        let ohw = g.outH &* g.outW, hw = g.height &* g.width, K = g.kPerGroup
        let columns = b &* ohw
        let padded = TiledConv2d.usesPaddedIm2col(g)
        nonisolated(unsafe) let col = col
        Threading.parallelFor(b, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(K &* ohw, 1))) { i0, i1 in
            let scratchFloats = padded ? Conv2dKernel.paddedScratchFloats(g) &+ K &* ohw &+ 32 : 0
            let scratch = padded ? UnsafeMutablePointer<Float>.allocate(capacity: scratchFloats) : nil
            defer { scratch?.deallocate() }
            for i in i0..<i1 {
                let xi = x + (n0 &+ i) &* g.inChannels &* hw
                guard let scratch else {
                    Conv2dKernel.im2colRows(xi, g, group: 0, rows: 0, K, p0: 0, p1: ohw, col + i &* ohw, ld: columns)
                    continue
                }
                let own = scratch + Conv2dKernel.paddedScratchFloats(g)
                Conv2dKernel.im2colRowsPadded(xi, g, group: 0, rows: 0, K, p0: 0, p1: ohw, own, scratch: scratch)
                for r in 0..<K { (col + (r &* columns &+ i &* ohw)).update(from: own + r &* ohw, count: ohw) }
            }
        }
    }

    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        let ohw = g.outH &* g.outW, K = g.kPerGroup, cout = g.outChannels
        let chunk = imagesPerChunk(g)
        let workspace = TensorStorage(uninitializedCount: (K &+ cout) &* chunk &* ohw)
        let col = workspace.base, out = workspace.base + K &* chunk &* ohw
        var n0 = 0
        while n0 < g.batch {
            let b = Swift.min(chunk, g.batch &- n0), columns = b &* ohw
            fillColumns(x, g, images: n0, count: b, col)
            sgemm(transposeA: false, transposeB: false, m: cout, n: columns, k: K, w, lda: K, col, ldb: columns,
                  beta: 0, out, ldc: columns)
            // out[c][i·ohw + p] → y[n0 + i][c][p] (+ bias[c]).
            nonisolated(unsafe) let (o, yy) = (UnsafePointer(out), y)
            let start = n0
            Threading.parallelFor(b &* cout, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(ohw, 1))) { r0, r1 in
                for r in r0..<r1 {
                    let i = r / cout, c = r &- i &* cout
                    let src = o + (c &* columns &+ i &* ohw)
                    let dst = yy + ((start &+ i) &* cout &+ c) &* ohw
                    if let bias {
                        let v = bias[c]
                        for p in 0..<ohw { dst[p] = src[p] + v }
                    } else {
                        dst.update(from: src, count: ohw)
                    }
                }
            }
            n0 &+= b
        }
        withExtendedLifetime(workspace) {}
    }

    /// dx is overwritten; dw and db are accumulated into (the caller zeroes them), as in `Conv2dKernel.backward`.
    static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                         db: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry) {
        let ohw = g.outH &* g.outW, hw = g.height &* g.width, K = g.kPerGroup, cout = g.outChannels
        let chunk = imagesPerChunk(g)
        let workspace = TensorStorage(uninitializedCount: (2 &* K &+ cout) &* chunk &* ohw)
        let col = workspace.base, dcol = col + K &* chunk &* ohw, dyb = dcol + K &* chunk &* ohw
        if let dx { dx.initialize(repeating: 0, count: g.batch &* g.inChannels &* hw) }
        var n0 = 0
        while n0 < g.batch {
            let b = Swift.min(chunk, g.batch &- n0), columns = b &* ohw
            // dY of the chunk as cout × b·ohw.
            nonisolated(unsafe) let (d, gathered) = (dy, dyb)
            let start = n0
            Threading.parallelFor(b &* cout, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(ohw, 1))) { r0, r1 in
                for r in r0..<r1 {
                    let i = r / cout, c = r &- i &* cout
                    let source: UnsafePointer<Float> = d + ((start &+ i) &* cout &+ c) &* ohw
                    let target: UnsafeMutablePointer<Float> = gathered + (c &* columns &+ i &* ohw)
                    target.update(from: source, count: ohw)
                }
            }
            if let db {
                for c in 0..<cout { db[c] += Float(sumContiguous(dyb + c &* columns, columns)) }
            }
            if let dw {
                fillColumns(x, g, images: n0, count: b, col)
                sgemm(transposeA: false, transposeB: true, m: cout, n: K, k: columns, dyb, lda: columns,
                      col, ldb: columns, beta: 1, dw, ldc: K)
            }
            if let dx {
                sgemm(transposeA: true, transposeB: false, m: K, n: columns, k: cout, w, lda: K, dyb, ldb: columns,
                      beta: 0, dcol, ldc: columns)
                nonisolated(unsafe) let (dc, out) = (UnsafePointer(dcol), dx)
                Threading.parallelFor(b, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(K &* ohw, 1))) { i0, i1 in
                    for i in i0..<i1 {
                        Conv2dKernel.col2imChannels(dc + i &* ohw, g, group: 0, channels: 0, g.inChannels, p0: 0, p1: ohw,
                                                    out + (start &+ i) &* g.inChannels &* hw, ld: columns)
                    }
                }
            }
            n0 &+= b
        }
        withExtendedLifetime(workspace) {}
    }
}

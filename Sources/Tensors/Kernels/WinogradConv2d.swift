// conv2d forward by Winograd F(4×4, 3×3) on our kernels (CKernels/winograd.c does the math) for
// 3×3, stride-1, undilated, ungrouped convs with padding ≤ 2.
//
// Design. Each 4×4 output tile costs 36 multiplies per (Cin, Cout) pair instead of 144: the 36
// transformed positions are 36 GEMMs U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles) on the ISA's own
// micro-kernel, in blocks of NR tiles across every image of the batch, with the input transform
// feeding the GEMM's packed panels and the output transform writing y with the epilogue (bias,
// residual, ReLU), so nothing of size tiles × 36 × channels is materialised. The weight transform
// U = G g Gᵀ (4× the floats of the weight) is made once per model for inference, beside the
// implicit GEMM's panels (`PackedConvWeights.winograd()`), or once per call in training. Threads
// split the tile blocks, or the output channels when there are fewer blocks than threads.
// Error: max 1.7e-5 of the output's RMS over ResNet's shapes, 2–12× direct fp32 summation's
// (WinogradTests); `ConvAlgorithm.choose` picks this path only where it measures faster.
// Like every Winograd conv, a NaN or infinity in the input spreads over the whole 4×4 tiles whose
// 6×6 patches hold it (direct convolution confines it to the outputs whose windows hold it).

import CKernels
import Traps

/// A 3×3 conv weight (Cout × Cin × 3 × 3, one group) transformed for Winograd F(4×4, 3×3) — 36
/// matrices U[ξ] = (G g Gᵀ)[ξ] of Cout × Cin — each packed in MR-row panels for one ISA's GEMM tile.
public final class WinogradWeights: @unchecked Sendable {
    /// The ISA path the panels are laid out for.
    public let isa: KernelISA
    public let outChannels: Int, inChannels: Int
    let storage: TensorStorage

    /// Transforms and packs `weight` (Cout × Cin × 3 × 3) for `isa`, in parallel over channel panels;
    /// with `flippedTranspose`, `weight` is Cin × Cout × 3 × 3 and the transform is of its transpose
    /// with the taps reversed (the input gradient of a stride-1 conv as a forward conv of dy).
    package init(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, isa: KernelISA,
                 flippedTranspose: Bool = false) {
        self.isa = isa
        self.outChannels = outChannels
        self.inChannels = inChannels
        storage = TensorStorage(uninitializedCount: Int(vk_winograd_weight_floats(isa.code, outChannels, inChannels)))
        let mr = isa.gemmTile.rows
        let panels = (outChannels + mr - 1) / mr
        let base = storage.base
        // ~30–60 ns per (co, ci) pair on one thread (in double).
        let grain = Swift.max(1, Threading.minimumParallelElements / Swift.max(mr &* inChannels &* 36, 1))
        Threading.parallelFor(panels, grain: grain) { p0, p1 in
            let (co0, co1) = (p0 &* mr, Swift.min(outChannels, p1 &* mr))
            if flippedTranspose {
                vk_winograd_pack_weights_flipped(isa.code, outChannels, inChannels, weight, base, co0, co1)
            } else {
                vk_winograd_pack_weights(isa.code, outChannels, inChannels, weight, base, co0, co1)
            }
        }
    }
}

enum WinogradConv2d {
    /// Whether F(4×4, 3×3) computes `g`: 3×3, stride 1, no dilation, one group, padding ≤ 2.
    static func applies(_ g: Conv2dGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.padH <= 2 && g.padW <= 2 && g.outH >= 1 && g.outW >= 1
    }

    /// 4×4 output tiles of the whole batch.
    static func tiles(_ g: Conv2dGeometry) -> Int { g.batch &* ((g.outH &+ 3) / 4) &* ((g.outW &+ 3) / 4) }

    static func forward(_ x: UnsafePointer<Float>, weights: WinogradWeights, bias: UnsafePointer<Float>?,
                        residual: UnsafePointer<Float>?, activation: ConvActivation,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        trapUnless(applies(g) && weights.outChannels == g.outChannels && weights.inChannels == g.inChannels,
                   "WinogradConv2d: weights \(weights.outChannels)×\(weights.inChannels) do not serve \(g)")
        let geometry = vk_conv_geometry(
            batch: g.batch, in_channels: g.inChannels, height: g.height, width: g.width,
            out_channels: g.outChannels, kernel_h: 3, kernel_w: 3, stride_h: 1, stride_w: 1, pad_h: g.padH, pad_w: g.padW,
            dilation_h: 1, dilation_w: 1, groups: 1, out_h: g.outH, out_w: g.outW)
        let epilogue = vk_epilogue(bias: bias, residual: residual, ldr: 0, activation: activation.code)
        let isa = weights.isa.code
        let (mr, nr) = weights.isa.gemmTile
        let cout = g.outChannels, tiles = Self.tiles(g)
        let blocks = (tiles + nr - 1) / nr
        let u = UnsafePointer(weights.storage.base)
        let flops = 2 &* 36 &* cout &* g.inChannels &* blocks &* nr
        let threads = Threading.isInsideParallelRegion || flops < Threading.minimumParallelGEMMFlops ? 1 : Threading.count

        /// Runs channels [m0, m1) × tiles [t0, t1) on the calling thread.
        func run(rows m0: Int, _ m1: Int, tiles t0: Int, _ t1: Int) {
            var geometry = geometry, epilogue = epilogue
            vk_winograd_forward(isa, &geometry, x, u, m0, m1, t0, t1, y, &epilogue)
        }
        if threads == 1 { return run(rows: 0, cout, tiles: 0, tiles) }
        nonisolated(unsafe) let body = run
        if blocks >= threads || cout < threads &* mr {
            // Whole blocks per thread (a block costs the same however few of its tiles are real).
            let per = (blocks + threads - 1) / threads &* nr
            Threading.parallelFor(threads, grain: 1) { i0, i1 in
                for i in i0..<i1 { body(0, cout, Swift.min(tiles, i &* per), Swift.min(tiles, (i &+ 1) &* per)) }
            }
        } else {
            // Fewer blocks than threads: each thread transforms the same input, for its channels.
            let per = ((cout + threads - 1) / threads + mr - 1) / mr * mr
            Threading.parallelFor(threads, grain: 1) { i0, i1 in
                for i in i0..<i1 { body(Swift.min(cout, i &* per), Swift.min(cout, (i &+ 1) &* per), 0, tiles) }
            }
        }
    }
}

// conv2d forward as an implicit GEMM on our own kernels (CKernels/conv.c does the math).
//
// Design. Per group, Y (Cout/g × N·OH·OW) = W (Cout/g × K) · col, with col gathered straight into the
// micro-kernel's packed B panels (no column buffer) and W packed once into MR-row panels
// (`PackedConvWeights`). The columns run over every image of the batch, so small late-stage maps of
// a batch form one wide GEMM. Threads split the work once per call: by groups when there are at
// least as many groups as threads, else by columns (multiples of the tile's NR) when each thread
// gets at least `minColumnsPerThread`, else by output channels (multiples of MR), each thread
// then gathering the same B panels (cheap next to a 512 × 49 × 4608 product). The epilogue — bias,
// a residual with the output's layout, ReLU — is applied by the micro-kernel as it stores each
// tile for the last time, so conv + BN (folded) + add + ReLU is one pass over the output.

import CKernels

/// What a fused conv2d applies after adding the bias (and the residual, if any).
public enum ConvActivation: Sendable, Equatable {
    case none
    case relu

    var code: Int32 { self == .relu ? Int32(VK_ACT_RELU) : Int32(VK_ACT_NONE) }
}

enum ImplicitGemmConv2d {
    /// Columns below which a thread's share is too small to split by columns.
    static let minColumnsPerThread = 128

    static func forward(_ x: UnsafePointer<Float>, packed: PackedConvWeights, bias: UnsafePointer<Float>?,
                        residual: UnsafePointer<Float>?, activation: ConvActivation,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        let geometry = g.kernelGeometry
        let epilogue = vk_epilogue(bias: bias, residual: residual, ldr: 0, activation: activation.code)
        let isa = packed.isa.code
        let (mr, nr) = packed.isa.gemmTile
        let coutG = g.outChannels / g.groups
        let columns = g.batch &* g.outH &* g.outW
        let flops = 2 &* g.outChannels &* g.kPerGroup &* columns
        let threads = Threading.isInsideParallelRegion || flops < Threading.minimumParallelGEMMFlops ? 1 : Threading.count

        let panels = packed.gemmPanels()
        defer { withExtendedLifetime(panels) {} }
        let (base, groupStride) = (UnsafePointer(panels.base), packed.groupStride)
        /// Runs groups [g0, g1) × rows [m0, m1) × columns [c0, c1) on the calling thread.
        func run(groups g0: Int, _ g1: Int, rows m0: Int, _ m1: Int, columns c0: Int, _ c1: Int) {
            var geometry = geometry, epilogue = epilogue
            for grp in g0..<g1 {
                vk_conv2d_forward(isa, &geometry, grp, x, base + grp &* groupStride, m0, m1, c0, c1, y, &epilogue)
            }
        }
        if threads == 1 {
            return run(groups: 0, g.groups, rows: 0, coutG, columns: 0, columns)
        }
        nonisolated(unsafe) let body = run
        if g.groups >= threads {
            Threading.parallelFor(g.groups, grain: 1) { g0, g1 in body(g0, g1, 0, coutG, 0, columns) }
        } else if columns >= threads &* minColumnsPerThread || coutG < threads &* mr {
            let per = ((columns + threads - 1) / threads + nr - 1) / nr * nr
            Threading.parallelFor(threads, grain: 1) { t0, t1 in
                for t in t0..<t1 { body(0, g.groups, 0, coutG, Swift.min(columns, t &* per), Swift.min(columns, (t &+ 1) &* per)) }
            }
        } else {
            let per = ((coutG + threads - 1) / threads + mr - 1) / mr * mr
            Threading.parallelFor(threads, grain: 1) { t0, t1 in
                for t in t0..<t1 { body(0, g.groups, Swift.min(coutG, t &* per), Swift.min(coutG, (t &+ 1) &* per), 0, columns) }
            }
        }
    }
}

extension Conv2dGeometry {
    /// The geometry as CKernels takes it.
    var kernelGeometry: vk_conv_geometry {
        vk_conv_geometry(
            batch: batch, in_channels: inChannels, height: height, width: width,
            out_channels: outChannels, kernel_h: kernelH, kernel_w: kernelW,
            stride_h: strideH, stride_w: strideW, pad_h: padH, pad_w: padW,
            dilation_h: dilationH, dilation_w: dilationW, groups: groups, out_h: outH, out_w: outW)
    }
}

// conv2d forward by the direct kernel (CKernels/conv_direct.c does the math) for ungrouped convs.
//
// Design. Output-channel vectors times broadcast input pixels: a tile is a panel of C output
// channels (64 on AVX-512, 16 on AVX2 and portable) × up to 6 flattened output pixels, and each K
// step loads the panel's weight vectors and broadcasts the one input value per pixel that tap
// reads, in place, so there is no gather pass and no 32-column panel to fill (a 7 × 7 map's 49
// columns fill 9 tiles of 6). The weights are packed once per model in C-channel panels
// (`PackedConvWeights.direct()`) or once per call; a padded copy of the input spares the kernel
// every bounds test (skipped for unpadded convs). Threads split the channel panels when there are
// enough of them for an even split (each thread then streams only its part of the weights, which
// is what batch-1 inference of late layers waits on), else the columns in whole tiles.

import CKernels
import Synchronization
import Traps

/// A conv weight (Cout × Cin × kh × kw, one group) packed for the direct kernel of one ISA path:
/// panels of `vk_direct_channels` output channels, each K × channels floats.
public final class DirectWeights: @unchecked Sendable {
    /// The ISA path the panels are laid out for.
    public let isa: KernelISA
    /// Output channels and K = Cin·kh·kw.
    public let outChannels: Int, kPerGroup: Int
    let storage: TensorStorage

    /// The input-gradient weight of a stride-1 conv with weight `weight` (Cout × Cin × kh × kw,
    /// one group): its transpose with the taps reversed (Cin outputs, K = Cout·kh·kw), packed
    /// straight from `weight` for `isa`.
    package init(flippedTransposeOf weight: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int,
                 kernelH kh: Int, kernelW kw: Int, isa: KernelISA) {
        let k = cout &* kh &* kw
        self.isa = isa
        self.outChannels = cin
        self.kPerGroup = k
        storage = TensorStorage(uninitializedCount: Int(vk_direct_weight_floats(isa.code, cin, k)))
        let cp = Int(vk_direct_channels(isa.code))
        let base = storage.base
        Threading.parallelFor((cin + cp - 1) / cp, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(cp &* k, 1))) { p0, p1 in
            vk_direct_pack_weights_flipped(isa.code, cout, cin, kh, kw, weight, base, p0 &* cp, Swift.min(cin, p1 &* cp))
        }
    }

    /// Wraps `storage`, already packed for `isa`.
    private init(packed storage: TensorStorage, outChannels: Int, kPerGroup: Int, isa: KernelISA) {
        self.isa = isa
        self.outChannels = outChannels
        self.kPerGroup = kPerGroup
        self.storage = storage
    }

    /// Packs `weight` (Cout × K, row-major) for `isa`, in parallel over panels.
    package init(_ weight: UnsafePointer<Float>, outChannels: Int, kPerGroup k: Int, isa: KernelISA) {
        self.isa = isa
        self.outChannels = outChannels
        self.kPerGroup = k
        storage = TensorStorage(uninitializedCount: Int(vk_direct_weight_floats(isa.code, outChannels, k)))
        let cp = Int(vk_direct_channels(isa.code))
        let panels = (outChannels + cp - 1) / cp
        let base = storage.base
        Threading.parallelFor(panels, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(cp &* k, 1))) { p0, p1 in
            vk_direct_pack_weights(isa.code, outChannels, k, weight, base, p0 &* cp, Swift.min(outChannels, p1 &* cp))
        }
    }
}

extension DirectWeights {
    /// Packs the weight held in `storage` (Cout × K, row-major, exactly Cout·K floats, referenced
    /// nowhere else) in place, so that no second copy of it ever exists; nil (storage untouched)
    /// when Cout is not a multiple of the panel's channels.
    package static func packingInPlace(_ storage: TensorStorage, outChannels: Int, kPerGroup k: Int, isa: KernelISA) -> DirectWeights? {
        let cp = Int(vk_direct_channels(isa.code))
        guard outChannels % cp == 0, storage.count == outChannels &* k else { return nil }
        let base = storage.base
        let failed = Atomic<Bool>(false)
        Threading.parallelFor(outChannels / cp, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(cp &* k, 1))) { p0, p1 in
            if vk_direct_pack_weights_in_place(isa.code, outChannels, k, base, p0, p1) != 0 { failed.store(true, ordering: .relaxed) }
        }
        trapUnless(!failed.load(ordering: .relaxed), "DirectWeights: out of memory packing a \(outChannels) × \(k) weight")
        return DirectWeights(packed: storage, outChannels: outChannels, kPerGroup: k, isa: isa)
    }
}

enum DirectConvolution {
    /// Whether the direct kernel computes `g`: one group, and every plane offset of the (padded)
    /// input in 31 bits.
    static func applies(_ g: Conv2dGeometry) -> Bool {
        let (hp, wp) = paddedPlane(g)
        return g.groups == 1 && g.outH >= 1 && g.outW >= 1 && hp &* wp > 0 && g.inChannels <= Int(Int32.max) / (hp &* wp)
    }

    /// Rows and columns of a plane of the padded input.
    static func paddedPlane(_ g: Conv2dGeometry) -> (hp: Int, wp: Int) {
        (g.height &+ 2 &* g.padH, g.width &+ 2 &* g.padW)
    }

    static func forward(_ x: UnsafePointer<Float>, weights: DirectWeights, bias: UnsafePointer<Float>?,
                        residual: UnsafePointer<Float>?, activation: ConvActivation,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        trapUnless(applies(g) && weights.outChannels == g.outChannels && weights.kPerGroup == g.kPerGroup,
                   "DirectConvolution: weights \(weights.outChannels)×\(weights.kPerGroup) do not serve \(g)")
        let geometry = g.kernelGeometry
        let epilogue = vk_epilogue(bias: bias, residual: residual, ldr: 0, activation: activation.code)
        let isa = weights.isa.code
        let cp = Int(vk_direct_channels(isa)), np = Int(vk_direct_pixels(isa))
        let cout = g.outChannels, columns = g.batch &* g.outH &* g.outW
        let flops = 2 &* cout &* g.kPerGroup &* columns
        let threads = Threading.isInsideParallelRegion || flops < Threading.minimumParallelGEMMFlops ? 1 : Threading.count

        let (copy, input, hp, wp) = paddedInput(x, g)
        let u = UnsafePointer(weights.storage.base)
        defer { withExtendedLifetime(copy) {} }

        /// Runs channels [c0, c1) × columns [j0, j1) on the calling thread.
        func run(channels c0: Int, _ c1: Int, columns j0: Int, _ j1: Int) {
            var geometry = geometry, epilogue = epilogue
            vk_conv2d_direct(isa, &geometry, input, hp, wp, u, c0, c1, j0, j1, y, &epilogue)
        }
        split(threads: threads, channels: cout, panel: cp, rows: columns, unit: np, run)
    }

    /// Runs `body(c0, c1, r0, r1)` over all channels × rows (pixels or taps) on `threads` threads,
    /// each taking a disjoint part: whole panels of channels when they split evenly (each thread
    /// then streams only its share of the weights or of dy), else ranges of rows in multiples of
    /// `unit` (a tile's rows).
    private static func split(threads: Int, channels: Int, panel cp: Int, rows: Int, unit: Int,
                              _ body: (Int, Int, Int, Int) -> Void) {
        if threads == 1 { return body(0, channels, 0, rows) }
        nonisolated(unsafe) let body = body
        let panels = (channels + cp - 1) / cp
        if panels % threads == 0 || panels >= 4 &* threads {
            let per = (panels + threads - 1) / threads &* cp
            Threading.parallelFor(threads, grain: 1) { i0, i1 in
                for i in i0..<i1 { body(Swift.min(channels, i &* per), Swift.min(channels, (i &+ 1) &* per), 0, rows) }
            }
        } else {
            let per = ((rows + threads - 1) / threads + unit - 1) / unit * unit
            Threading.parallelFor(threads, grain: 1) { i0, i1 in
                for i in i0..<i1 { body(0, channels, Swift.min(rows, i &* per), Swift.min(rows, (i &+ 1) &* per)) }
            }
        }
    }

    /// The input as the kernels read it: a copy padded by (padH, padW) with zeros (nil, and x
    /// itself, for an unpadded conv), and its plane size.
    static func paddedInput(_ x: UnsafePointer<Float>, _ g: Conv2dGeometry)
        -> (copy: TensorStorage?, input: UnsafePointer<Float>, hp: Int, wp: Int) {
        let (hp, wp) = paddedPlane(g)
        guard g.padH > 0 || g.padW > 0 else { return (nil, x, hp, wp) }
        let planes = g.batch &* g.inChannels
        let copy = TensorStorage(uninitializedCount: planes &* hp &* wp)
        let base = copy.base
        let geometry = g.kernelGeometry
        Threading.parallelFor(planes, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(hp &* wp, 1))) { p0, p1 in
            var geometry = geometry
            vk_direct_pad_input(&geometry, x, base, p0, p1)
        }
        return (copy, UnsafePointer(base), hp, wp)
    }

    /// Whether the direct weight gradient computes `g`: one group, and every offset into the
    /// batch's padded input in 31 bits.
    static func appliesToWeightGradient(_ g: Conv2dGeometry) -> Bool {
        let (hp, wp) = paddedPlane(g)
        return applies(g) && g.batch &* g.inChannels <= Int(Int32.max) / (hp &* wp)
    }

    /// dw += ∂loss/∂w and db += ∂loss/∂b of `g` (dw is Cout × Cin × kh × kw; db may be nil): the
    /// direct kernel with dy's channels as the vectors (dy packed per call into channel panels),
    /// the batch's output pixels as the contraction and the taps as the broadcast rows; no column
    /// matrix, no gather. Threads take disjoint channel panels or tap ranges (no reduction).
    static func accumulateWeightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                         dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                         _ g: Conv2dGeometry) {
        trapUnless(appliesToWeightGradient(g), "DirectConvolution: no direct weight gradient for \(g)")
        if let db { ImplicitGemmWeightGradient.accumulateBiasGradient(dy, db, g) }
        let isa = KernelISA.active.code
        let cp = Int(vk_direct_channels(isa)), np = Int(vk_direct_pixels(isa))
        let cout = g.outChannels, k = g.kPerGroup, pixels = g.outH &* g.outW, columns = g.batch &* pixels
        let panels = (cout + cp - 1) / cp
        let packed = TensorStorage(uninitializedCount: Int(vk_direct_weight_floats(isa, cout, columns)))
        let packedBase = packed.base
        let (batch, outChannels) = (g.batch, cout)
        Threading.parallelFor(panels, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(cp &* columns, 1))) { p0, p1 in
            vk_direct_pack_dy(isa, batch, outChannels, pixels, dy, packedBase, p0 &* cp, Swift.min(outChannels, p1 &* cp))
        }
        let (copy, input, hp, wp) = paddedInput(x, g)
        defer { withExtendedLifetime((copy, packed)) {} }
        let geometry = g.kernelGeometry
        let u = UnsafePointer(packedBase)
        let flops = 2 &* cout &* k &* columns
        let threads = Threading.isInsideParallelRegion || flops < Threading.minimumParallelGEMMFlops ? 1 : Threading.count

        /// Channels [c0, c1) × taps [k0, k1) on the calling thread.
        func run(channels c0: Int, _ c1: Int, taps k0: Int, _ k1: Int) {
            var geometry = geometry
            vk_conv2d_direct_weight_grad(isa, &geometry, input, hp, wp, u, c0, c1, k0, k1, dw)
        }
        split(threads: threads, channels: cout, panel: cp, rows: k, unit: np, run)
    }
}

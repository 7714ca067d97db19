// Conv weights packed for our GEMM micro-kernels (MR-row panels per group), made once per model
// for inference (NN's Conv2d keeps only these, not the folded weight) or once per call in training.
// A 3×3 weight that a Winograd conv uses also gets its Winograd transform, built on first use and
// kept beside the panels (`winograd()`).

import CKernels
import Synchronization
import Traps

/// A conv weight (Cout × Cin/g × kh × kw) packed for one ISA path's GEMM tile, group by group.
public final class PackedConvWeights: @unchecked Sendable {
    /// The ISA path the panels are laid out for.
    public let isa: KernelISA
    /// Output channels, groups and K = Cin/g·kh·kw of the packed weight.
    public let outChannels: Int, groups: Int, kPerGroup: Int
    /// The weight's shape [Cout, Cin/groups, kh, kw].
    public let shape: [Int]
    /// Floats of one group's panels.
    let groupStride: Int
    let storage: TensorStorage
    /// The Winograd F(4×4, 3×3) transform of the weight for `isa`, made on first use.
    private let winogradCache = Mutex<WinogradWeights?>(nil)

    /// Packs `weight` (Cout × K per group, row-major) for `isa`.
    package init(_ weight: UnsafePointer<Float>, shape: [Int], groups: Int, isa: KernelISA) {
        let outChannels = shape[0], kPerGroup = shape.dropFirst().reduce(1, *)
        self.shape = shape
        self.isa = isa
        self.outChannels = outChannels
        self.groups = groups
        self.kPerGroup = kPerGroup
        let coutG = outChannels / groups
        groupStride = Int(vk_packed_a_floats(isa.code, coutG, kPerGroup))
        storage = TensorStorage(uninitializedCount: groupStride &* groups)
        let (base, stride, k) = (storage.base, groupStride, kPerGroup)
        Self.packRows(coutG, groups: groups, k: k, isa: isa) { grp, row0, row1 in
            vk_pack_conv_weight_rows(isa.code, 0, coutG, k, weight + grp &* coutG &* k, k, 1, 1, base + grp &* stride, row0, row1)
        }
    }

    /// The input-gradient weight of a stride-1 conv with weight `weight` (Cout × Cin × kh × kw, one
    /// group): its transpose with the taps reversed, shape [Cin, Cout, kh, kw], packed straight from
    /// `weight` for `isa`.
    package init(flippedTransposeOf weight: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int,
                 kernelH kh: Int, kernelW kw: Int, isa: KernelISA) {
        self.shape = [cin, cout, kh, kw]
        self.isa = isa
        self.outChannels = cin
        self.groups = 1
        self.kPerGroup = cout &* kh &* kw
        groupStride = Int(vk_packed_a_floats(isa.code, cin, kPerGroup))
        storage = TensorStorage(uninitializedCount: groupStride)
        let base = storage.base
        Self.packRows(cin, groups: 1, k: kPerGroup, isa: isa) { _, row0, row1 in
            vk_pack_conv_weight_rows(isa.code, 1, cin, cout &* kh &* kw, weight, 0, kh, kw, base, row0, row1)
        }
    }

    /// Calls `pack(group, row0, row1)` over every group's rows in ranges of whole MR-row panels, in
    /// parallel when the weight is large (each thread packs one contiguous range of rows).
    private static func packRows(_ rows: Int, groups: Int, k: Int, isa: KernelISA, _ pack: (Int, Int, Int) -> Void) {
        let mr = isa.gemmTile.rows
        let panels = (rows + mr - 1) / mr
        let items = groups &* panels
        nonisolated(unsafe) let body = pack
        Threading.parallelFor(items, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(mr &* k, 1))) { i0, i1 in
            // One call per group's run of panels: the packers read their rows in memory order.
            var item = i0
            while item < i1 {
                let grp = item / panels, panel = item &- grp &* panels
                let end = Swift.min(i1, (grp &+ 1) &* panels)
                body(grp, panel &* mr, Swift.min(rows, (end &- grp &* panels) &* mr))
                item = end
            }
        }
    }

    /// Packs a weight tensor of shape [Cout, Cin/groups, kh, kw] for `isa`.
    public static func pack(_ weight: Tensor, groups: Int, isa: KernelISA = .active) -> PackedConvWeights {
        let shape = weight.shape
        trapUnless(shape.count == 4 && groups >= 1 && shape[0] % groups == 0,
                   "PackedConvWeights: weight \(describe(shape)) is not [Cout, Cin/groups, kH, kW] for groups \(groups)")
        return weight.withUnsafeBufferPointer { w in PackedConvWeights(w.baseAddress!, shape: shape, groups: groups, isa: isa) }
    }

    /// The weight the panels hold, as a tensor of `shape`.
    public func unpacked() -> Tensor {
        let weight = Tensor(uninitializedShape: shape)
        let coutG = outChannels / groups
        for grp in 0..<groups {
            vk_unpack_conv_weights(isa.code, coutG, kPerGroup, panels(group: grp), weight.storage.base + grp &* coutG &* kPerGroup, kPerGroup)
        }
        return weight
    }

    /// These panels for `isa`: self, or repacked from the unpacked weight.
    public func packed(for isa: KernelISA) -> PackedConvWeights {
        isa == self.isa ? self : .pack(unpacked(), groups: groups, isa: isa)
    }

    /// Whether these panels serve `g` on `isa`.
    func matches(_ g: Conv2dGeometry, isa: KernelISA) -> Bool {
        self.isa == isa && outChannels == g.outChannels && groups == g.groups && kPerGroup == g.kPerGroup
    }

    /// The weight's Winograd F(4×4, 3×3) transform for this ISA path (3×3, one group), made from the
    /// panels on first use and kept.
    package func winograd() -> WinogradWeights {
        winogradCache.withLock { cached in
            if let cached { return cached }
            trapUnless(groups == 1 && shape.count == 4 && shape[2] == 3 && shape[3] == 3,
                       "PackedConvWeights: no Winograd transform for weight \(describe(shape)) with \(groups) groups")
            let made = unpacked().withUnsafeBufferPointer {
                WinogradWeights($0.baseAddress!, outChannels: outChannels, inChannels: shape[1], isa: isa)
            }
            cached = made
            return made
        }
    }

    /// The panels of group `group`.
    func panels(group: Int) -> UnsafePointer<Float> { UnsafePointer(storage.base + group &* groupStride) }
}

// Conv weights prepared for our kernels: once per model for inference (NN's Conv2d keeps only
// these, not a second folded weight), or once per call in training.
//
// Design. A weight has up to three packed forms, each made when a conv first runs on it: the
// implicit GEMM's MR-row panels per group (`gemmPanels()`), the direct kernel's C-channel panels
// (`direct()`) and the Winograd F(4×4, 3×3) transform of a 3×3 weight (`winograd()`). A model's
// weight (`pack(_:groups:isa:)`) starts as the plain tensor and is packed lazily: the first exact
// form (GEMM or direct panels, both copies of the weight) replaces the plain tensor, and any later
// form is made by unpacking an exact one. So each conv holds one copy of its weight in the layout
// its shape runs on (a ResNet-18 at batch 1 runs its K ≥ 512 convs only on the direct kernel,
// the rest on the GEMM: one copy each, where packing both up front added 41 MB), plus Winograd's
// transform where Winograd runs (it is not exactly invertible in floats, so an exact form or the
// plain tensor stays beside it). Forms are allocated outside any inference plan's recording, so a
// model's first run does not plan its weights as activations.

import CKernels
import Synchronization
import Traps

/// A conv weight (Cout × Cin/g × kh × kw) prepared for one ISA path's kernels.
public final class PackedConvWeights: @unchecked Sendable {
    /// The ISA path the forms are laid out for.
    public let isa: KernelISA
    /// Output channels, groups and K = Cin/g·kh·kw of the packed weight.
    public let outChannels: Int, groups: Int, kPerGroup: Int
    /// The weight's shape [Cout, Cin/groups, kh, kw].
    public let shape: [Int]
    /// Floats of one group's GEMM panels.
    let groupStride: Int

    /// The forms held now.
    private struct Forms {
        /// The weight itself, until an exact packed form exists.
        var plain: Tensor?
        /// The implicit GEMM's panels.
        var gemm: TensorStorage?
        var direct: DirectWeights?
        var winograd: WinogradWeights?
        /// The live taps' weight for convs whose other taps read only padding (the last window used).
        var cropped: (window: LiveTaps, weights: PackedConvWeights)?
    }

    private let forms: Mutex<Forms>

    private init(shape: [Int], groups: Int, isa: KernelISA, forms: Forms) {
        self.shape = shape
        self.isa = isa
        self.outChannels = shape[0]
        self.groups = groups
        self.kPerGroup = shape.dropFirst().reduce(1, *)
        groupStride = Int(vk_packed_a_floats(isa.code, shape[0] / groups, kPerGroup))
        self.forms = Mutex(forms)
    }

    /// Packs `weight` (Cout × K per group, row-major) into GEMM panels for `isa` now (a training
    /// step's weights, used once).
    package convenience init(_ weight: UnsafePointer<Float>, shape: [Int], groups: Int, isa: KernelISA) {
        let k = shape.dropFirst().reduce(1, *)
        self.init(shape: shape, groups: groups, isa: isa,
                  forms: Forms(gemm: Self.gemmPanels(of: weight, outChannels: shape[0], groups: groups, k: k, isa: isa)))
    }

    /// The input-gradient weight of a stride-1 conv with weight `weight` (Cout × Cin × kh × kw, one
    /// group): its transpose with the taps reversed, shape [Cin, Cout, kh, kw], packed straight from
    /// `weight` for `isa`.
    package convenience init(flippedTransposeOf weight: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int,
                             kernelH kh: Int, kernelW kw: Int, isa: KernelISA) {
        let k = cout &* kh &* kw
        let storage = TensorStorage(uninitializedCount: Int(vk_packed_a_floats(isa.code, cin, k)))
        let base = storage.base
        Self.packRows(cin, groups: 1, k: k, isa: isa) { _, row0, row1 in
            vk_pack_conv_weight_rows(isa.code, 1, cin, k, weight, 0, kh, kw, base, row0, row1)
        }
        self.init(shape: [cin, cout, kh, kw], groups: 1, isa: isa, forms: Forms(gemm: storage))
    }

    /// Prepares a weight tensor of shape [Cout, Cin/groups, kH, kW] for `isa`, to be kept (a model's
    /// evaluation-mode weights): it is packed for each kernel on the first conv that needs it.
    public static func pack(_ weight: Tensor, groups: Int, isa: KernelISA = .active) -> PackedConvWeights {
        let shape = weight.shape
        trapUnless(shape.count == 4 && groups >= 1 && shape[0] % groups == 0,
                   "PackedConvWeights: weight \(describe(shape)) is not [Cout, Cin/groups, kH, kW] for groups \(groups)")
        return PackedConvWeights(shape: shape, groups: groups, isa: isa, forms: Forms(plain: weight))
    }

    /// The GEMM panels of `weight` (Cout × K per group).
    private static func gemmPanels(of weight: UnsafePointer<Float>, outChannels: Int, groups: Int, k: Int,
                                   isa: KernelISA) -> TensorStorage {
        let coutG = outChannels / groups
        let stride = Int(vk_packed_a_floats(isa.code, coutG, k))
        let storage = TensorStorage(uninitializedCount: stride &* groups)
        let base = storage.base
        packRows(coutG, groups: groups, k: k, isa: isa) { grp, row0, row1 in
            vk_pack_conv_weight_rows(isa.code, 0, coutG, k, weight + grp &* coutG &* k, k, 1, 1, base + grp &* stride, row0, row1)
        }
        return storage
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

    /// Writes the weight (Cout × K per group, row-major) from an exact packed form.
    private func unpack(_ f: Forms, into weight: UnsafeMutablePointer<Float>) {
        let coutG = outChannels / groups
        if let gemm = f.gemm {
            for grp in 0..<groups {
                vk_unpack_conv_weights(isa.code, coutG, kPerGroup, gemm.base + grp &* groupStride,
                                       weight + grp &* coutG &* kPerGroup, kPerGroup)
            }
        } else if let direct = f.direct {
            vk_direct_unpack_weights(isa.code, outChannels, kPerGroup, direct.storage.base, weight)
        } else {
            trap("PackedConvWeights: no exact form of weight \(describe(shape)) is held")
        }
    }

    /// The weight as a tensor of `shape`: the plain tensor, or unpacked from an exact form.
    private func plainWeight(_ f: Forms) -> Tensor {
        if let plain = f.plain { return plain }
        let weight = Tensor(uninitializedShape: shape)
        unpack(f, into: weight.storage.base)
        return weight
    }

    /// Makes a form from the plain weight, outside any inference plan's recording or replay (a
    /// model's weights outlive its runs).
    private func make<Form>(_ f: Forms, _ body: (UnsafePointer<Float>) -> Form) -> Form {
        ActivationArena.$session.withValue(nil) {
            plainWeight(f).withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    /// Drops the plain tensor now that an exact form holds the weight; its memory goes back to the
    /// system, not to the tensor cache (where it would stay resident: a model's weights are
    /// released once each, on its first run, when nothing of that size may follow to reuse them).
    private func releasePlain(_ f: inout Forms) {
        f.plain?.storage.releaseToSystemWhenFreed()
        f.plain = nil
    }

    /// The weight the forms hold, as a tensor of `shape`.
    public func unpacked() -> Tensor {
        forms.withLock { plainWeight($0) }
    }

    /// These forms for `isa`: self, or a fresh preparation of the unpacked weight.
    public func packed(for isa: KernelISA) -> PackedConvWeights {
        isa == self.isa ? self : .pack(unpacked(), groups: groups, isa: isa)
    }

    /// Whether these panels serve `g` on `isa`.
    func matches(_ g: Conv2dGeometry, isa: KernelISA) -> Bool {
        self.isa == isa && outChannels == g.outChannels && groups == g.groups && kPerGroup == g.kPerGroup
    }

    /// The implicit GEMM's panels (every group's, `groupStride` floats apart), made on first use and kept.
    func gemmPanels() -> TensorStorage {
        forms.withLock { f in
            if let gemm = f.gemm { return gemm }
            let made = make(f) { w in Self.gemmPanels(of: w, outChannels: outChannels, groups: groups, k: kPerGroup, isa: isa) }
            f.gemm = made
            releasePlain(&f)
            return made
        }
    }

    /// The weight packed for the direct kernel of this ISA path (one group), made on first use and kept.
    package func direct() -> DirectWeights {
        forms.withLock { f in
            if let cached = f.direct { return cached }
            trapUnless(groups == 1, "PackedConvWeights: no direct packing for weight \(describe(shape)) with \(groups) groups")
            // A plain weight nothing else references is packed in place: no second copy, even briefly.
            if var plain = f.plain, plain.offset == 0 {
                f.plain = nil
                if isKnownUniquelyReferenced(&plain.storage),
                   let made = DirectWeights.packingInPlace(plain.storage, outChannels: outChannels, kPerGroup: kPerGroup, isa: isa) {
                    f.direct = made
                    return made
                }
                f.plain = plain
            }
            let made = make(f) { w in DirectWeights(w, outChannels: outChannels, kPerGroup: kPerGroup, isa: isa) }
            f.direct = made
            releasePlain(&f)
            return made
        }
    }

    /// The weight's Winograd F(4×4, 3×3) transform for this ISA path (3×3, one group), made on
    /// first use and kept.
    package func winograd() -> WinogradWeights {
        forms.withLock { f in
            if let cached = f.winograd { return cached }
            trapUnless(groups == 1 && shape.count == 4 && shape[2] == 3 && shape[3] == 3,
                       "PackedConvWeights: no Winograd transform for weight \(describe(shape)) with \(groups) groups")
            let made = make(f) { w in WinogradWeights(w, outChannels: outChannels, inChannels: shape[1], isa: isa) }
            f.winograd = made
            return made
        }
    }

    /// The weight of the taps `live` keeps, prepared for this ISA path (for a conv whose other taps
    /// read only padding, `LiveTaps`), made on first use and kept for the last window asked for.
    func cropped(to live: LiveTaps) -> PackedConvWeights {
        forms.withLock { f in
            if let cached = f.cropped, cached.window == live { return cached.weights }
            let made = make(f) { w in
                let weight = Tensor(uninitializedShape: [outChannels, shape[1], live.rows.count, live.columns.count])
                live.crop(w, into: weight.storage.base)
                return PackedConvWeights.pack(weight, groups: groups, isa: isa)
            }
            f.cropped = (live, made)
            return made
        }
    }
}

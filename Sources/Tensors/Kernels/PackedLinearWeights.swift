// A linear layer's weight packed once for our GEMM (inference), instead of on every call: a
// linear layer's product x·Wᵀ packs Wᵀ into NR-column panels per call, which for ConvNeXt's and
// the transformers' MLPs (weights of 0.3–2.4 M floats applied to a few hundred rows) cost as much
// as the product. The panels are laid out for one ISA path (vk_pack_b) and repacked from the
// weight if the path changes.

import CKernels
import Traps

/// The weight W (out × in) of `y = x·Wᵀ` packed as Wᵀ's GEMM panels for one ISA path.
public final class PackedLinearWeights: @unchecked Sendable {
    /// The ISA path the panels are laid out for.
    public let isa: KernelISA
    /// W's shape: output and input features.
    public let outFeatures: Int, inFeatures: Int
    let storage: TensorStorage

    /// Packs `weight` ([out, in], contiguous) for `isa`, outside any inference plan's recording
    /// (a model's weights outlive its runs).
    public init(_ weight: Tensor, isa: KernelISA = .active) {
        trapUnless(weight.rank == 2, "PackedLinearWeights: weight \(describe(weight.shape)) is not [out, in]")
        self.isa = isa
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        let (k, n) = (inFeatures, outFeatures)
        storage = ActivationArena.$session.withValue(nil) {
            TensorStorage(uninitializedCount: Swift.max(1, Int(vk_packed_b_floats(isa.code, k, n))))
        }
        let packed = storage.base
        let code = isa.code
        weight.withUnsafeBufferPointer { w in
            nonisolated(unsafe) let pw = w.baseAddress!
            let panelColumns = isa.gemmTile.columns
            let panels = (n + panelColumns - 1) / panelColumns
            // Panels split across threads for big weights (each panel is k × NR floats).
            Threading.parallelFor(panels, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(k &* panelColumns, 1))) { p0, p1 in
                vk_pack_b(code, 1, k, n, pw, k, packed, p0 &* panelColumns, Swift.min(n, p1 &* panelColumns))
            }
        }
    }
}

extension Tensor {
    /// `input · Wᵀ + bias` with W packed (inference: no autograd node is recorded). Input [..., in].
    public static func linear(_ input: Tensor, packed: PackedLinearWeights, bias: Tensor? = nil) -> Tensor {
        let outFeatures = packed.outFeatures, inFeatures = packed.inFeatures
        let (output, rows) = linearOutput(input, outFeatures: outFeatures, inFeatures: inFeatures, bias: bias)
        var out = output
        FLOPCounter.add(2 * Double(rows) * Double(inFeatures) * Double(outFeatures))
        let po = out.storage.base
        let beta: Float = bias == nil ? 0 : 1
        let isa = packed.isa.code
        let pw = UnsafePointer(packed.storage.base)
        input.withUnsafeBufferPointer { x in
            nonisolated(unsafe) let px = x.baseAddress!
            func gemm(rows r0: Int, _ r1: Int, columns c0: Int, _ c1: Int) {
                vk_sgemm_packed_b(isa, r1 &- r0, c1 &- c0, inFeatures, px + r0 &* inFeatures, inFeatures, pw, outFeatures,
                                  c0, beta, po + (r0 &* outFeatures &+ c0), outFeatures)
            }
            let flops = 2 &* rows &* outFeatures &* inFeatures
            let threads = Threading.count
            guard threads > 1, flops >= Threading.minimumParallelGEMMFlops, !Threading.isInsideParallelRegion else {
                gemm(rows: 0, rows, columns: 0, outFeatures)
                return
            }
            // Split the longer side (rows in multiples of 12, columns of 32: every path's tile divides them).
            let splitRows = rows >= outFeatures || outFeatures < 64
            let extent = splitRows ? rows : outFeatures, align = splitRows ? 12 : 32
            let parts = Swift.min(threads, Swift.max(1, extent / align))
            let per = ((extent + parts - 1) / parts + align - 1) / align * align
            Threading.parallelFor(parts, grain: 1) { p0, p1 in
                for part in p0..<p1 {
                    let start = part &* per, end = Swift.min(extent, start &+ per)
                    guard start < end else { continue }
                    if splitRows { gemm(rows: start, end, columns: 0, outFeatures) }
                    else { gemm(rows: 0, rows, columns: start, end) }
                }
            }
        }
        withExtendedLifetime(packed) {}
        out.node = nil
        return out
    }
}

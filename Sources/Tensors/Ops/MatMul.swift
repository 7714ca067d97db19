// Matrix products on our own GEMM kernels (CKernels, the ISA path of `KernelISA.active`):
// matmul with PyTorch's rank rules (1-D, 2-D, batched with broadcast batch dimensions), bmm, and
// linear. Transposes are passed to GEMM as flags (never materialised), including in the backward
// passes. VISION_GEMM=openblas sends them to OpenBLAS's cblas_sgemm instead (for comparisons).

import CBLAS
import CKernels
import Traps

/// C (m×n) = alpha · op(A) · op(B) + beta · C on row-major buffers; op(A) is m×k, op(B) is k×n.
///
/// Runs single-threaded GEMMs on our own threads (see `Threading`): outside a parallel loop, a
/// product of at least `Threading.minimumParallelGEMMFlops` is split into one block of C per thread
/// — along n when n ≥ m (each thread packs all of A, the smaller operand), else along m — and each
/// block is one single-threaded GEMM. Inside a parallel loop it runs on the caller.
public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    Threading.ensureConfigured()
    let threads = Threading.count
    let flops = 2 &* m &* n &* k
    let splitN = n >= m && n >= 2 &* 32
    let splitM = !splitN && m >= 2 &* 16
    let isa = KernelISA.active.code
    let openBLAS = KernelISA.gemmUsesOpenBLAS
    func gemm(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        if openBLAS {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        } else {
            vk_sgemm(isa, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
        }
    }
    guard threads > 1, flops >= Threading.minimumParallelGEMMFlops, splitN || splitM,
          !(openBLAS && Threading.usesOpenBLASPool), !Threading.isInsideParallelRegion else {
        gemm(m, n, a, b, c)
        return
    }
    // Block boundaries on multiples of 32 columns or 12 rows (multiples of every path's tile).
    let extent = splitN ? n : m, align = splitN ? 32 : 12
    let parts = Swift.min(threads, Swift.max(1, extent / align))
    let per = ((extent + parts - 1) / parts + align - 1) / align * align
    nonisolated(unsafe) let (pa, pb, pc) = (a, b, c)
    Threading.parallelFor(parts, grain: 1) { p0, p1 in
        for part in p0..<p1 {
            let start = part &* per, end = Swift.min(extent, start &+ per)
            guard start < end else { continue }
            if splitN {
                gemm(m, end &- start, pa, transposeB ? pb + start &* ldb : pb + start, pc + start)
            } else {
                gemm(end &- start, n, transposeA ? pa + start : pa + start &* lda, pb, pc + start &* ldc)
            }
        }
    }
}

extension Tensor {
    /// Matrix product with PyTorch's `matmul` semantics.
    public func matmul(_ other: Tensor) -> Tensor {
        guard rank >= 1, other.rank >= 1 else {
            trap("matmul needs tensors with at least 1 dimension, got \(describe(shape)) and \(describe(other.shape))")
        }
        if rank == 1 && other.rank == 1 {
            return unsqueeze(0).matmul(other.unsqueeze(1)).reshape([])
        }
        if rank == 1 { return unsqueeze(0).matmul(other).squeeze(-2) }
        if other.rank == 1 { return matmul(other.unsqueeze(1)).squeeze(-1) }
        return Tensor.gemm(self, other, transposeA: false, transposeB: false)
    }

    /// Batched matrix product of two 3-D tensors (PyTorch's `bmm`).
    public func bmm(_ other: Tensor) -> Tensor {
        guard rank == 3, other.rank == 3, shape[0] == other.shape[0] else {
            trap("bmm expects two 3-D tensors with the same batch size, got \(describe(shape)) and \(describe(other.shape))")
        }
        return Tensor.gemm(self, other, transposeA: false, transposeB: false)
    }

    /// `op(a) · op(b)` over the last two dimensions, with broadcast batch dimensions; `op` transposes
    /// the last two dimensions when its flag is set (a GEMM flag, not a copy).
    public static func gemm(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        guard a.rank >= 2, b.rank >= 2 else {
            trap("gemm expects tensors with at least 2 dimensions, got \(describe(a.shape)) and \(describe(b.shape))")
        }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        guard k == k2 else {
            trap("matmul: mat1 and mat2 shapes cannot be multiplied (\(describe(a.shape))\(transposeA ? "ᵀ" : "") and \(describe(b.shape))\(transposeB ? "ᵀ" : ""): inner sizes \(k) vs \(k2))")
        }
        // A batched left operand times a plain matrix: fold the batch into M, one GEMM.
        if b.rank == 2 && a.rank > 2 && !transposeA {
            let batch = Array(a.shape.dropLast(2))
            return gemm(a.reshape([-1, ac]), b, transposeA: false, transposeB: transposeB).reshape(batch + [m, n])
        }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = check { () throws(TensorError) in try Shape.broadcast(batchA, batchB) }
        let x = batchA == batch ? a : a.broadcastTo(batch + [ar, ac])
        let y = batchB == batch ? b : b.broadcastTo(batch + [br, bc])
        let batches = Shape.count(batch)
        FLOPCounter.add(2 * Double(batches) * Double(m) * Double(n) * Double(k))
        var out = Tensor(uninitializedShape: batch + [m, n])
        x.withUnsafeBufferPointer { pa in
            y.withUnsafeBufferPointer { pb in
                for i in 0..<batches {
                    sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          pa.baseAddress! + i * ar * ac, lda: ac, pb.baseAddress! + i * br * bc, ldb: bc,
                          out.storage.base + i * m * n, ldc: n)
                }
            }
        }
        if shouldRecord(x, y) {
            let (xd, yd, nx, ny) = (x.detached(), y.detached(), x.requiresGrad, y.requiresGrad)
            out.record("matmul", inputs: [x, y]) { g in
                let ga: Tensor?, gb: Tensor?
                switch (transposeA, transposeB) {
                case (false, false):
                    ga = nx ? gemm(g, yd, transposeA: false, transposeB: true) : nil
                    gb = ny ? gemm(xd, g, transposeA: true, transposeB: false) : nil
                case (false, true):
                    ga = nx ? gemm(g, yd, transposeA: false, transposeB: false) : nil
                    gb = ny ? gemm(g, xd, transposeA: true, transposeB: false) : nil
                case (true, false):
                    ga = nx ? gemm(yd, g, transposeA: false, transposeB: true) : nil
                    gb = ny ? gemm(xd, g, transposeA: false, transposeB: false) : nil
                case (true, true):
                    ga = nx ? gemm(yd, g, transposeA: true, transposeB: true) : nil
                    gb = ny ? gemm(g, xd, transposeA: true, transposeB: true) : nil
                }
                return [ga, gb]
            }
        }
        return out
    }

    /// `input · weightᵀ + bias` over the last dimension (PyTorch's `F.linear`): input `[..., in]`,
    /// weight `[out, in]`, bias `[out]`. The bias is written first and GEMM accumulates onto it.
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        guard weight.rank == 2 else {
            trap("linear: weight \(describe(weight.shape)) is not [out, in]")
        }
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let (output, rows) = linearOutput(input, outFeatures: outFeatures, inFeatures: inFeatures, bias: bias)
        var out = output
        FLOPCounter.add(2 * Double(rows) * Double(inFeatures) * Double(outFeatures))
        let po = out.storage.base
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                      x.baseAddress!, lda: inFeatures, w.baseAddress!, ldb: inFeatures,
                      beta: bias == nil ? 0 : 1, po, ldc: outFeatures)
            }
        }
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        if inputs.contains(where: { shouldRecord($0) }) {
            let (x, w) = (input.detached().reshape([rows, inFeatures]), weight.detached())
            let needs = inputs.map(\.requiresGrad)
            let inShape = input.shape
            out.record("linear", inputs: inputs) { g in
                let g2 = g.reshape([rows, outFeatures])
                var grads: [Tensor?] = [
                    needs[0] ? gemm(g2, w, transposeA: false, transposeB: false).reshape(inShape) : nil,
                    needs[1] ? gemm(g2, x, transposeA: true, transposeB: false) : nil,
                ]
                if needs.count == 3 { grads.append(needs[2] ? g2.sum(dim: 0) : nil) }
                return grads
            }
        }
        return out
    }

    /// The output `[..., out]` of a linear layer on `input` `[..., in]`, prefilled with `bias` in
    /// every row (GEMM then accumulates onto it), and the number of rows; traps on a shape mismatch.
    static func linearOutput(_ input: Tensor, outFeatures: Int, inFeatures: Int, bias: Tensor?) -> (Tensor, rows: Int) {
        guard input.rank >= 1, input.shape[input.rank - 1] == inFeatures else {
            trap("linear: input \(describe(input.shape)) does not match weight [\(outFeatures), \(inFeatures)] (expected input [..., \(inFeatures)])")
        }
        if let bias, bias.shape != [outFeatures] {
            trap("linear: bias \(describe(bias.shape)) does not match weight [\(outFeatures), \(inFeatures)]")
        }
        let rows = input.count / Swift.max(inFeatures, 1)
        let out = Tensor(uninitializedShape: Array(input.shape.dropLast()) + [outFeatures])
        if let bias {
            let po = out.storage.base
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { (po + r &* outFeatures).update(from: b.baseAddress!, count: outFeatures) }
            }
        }
        return (out, rows)
    }
}

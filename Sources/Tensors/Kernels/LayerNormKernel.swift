// Layer normalisation over a strided group of D values: element (o, d, i) of an input laid out
// as outer × D × inner is normalised over d for each (o, i). Normalising the last dimensions is
// inner = 1 (F.layer_norm); normalising each pixel's channels of an NCHW map (torchvision's
// LayerNorm2d, ConvNeXt) is outer = N, D = C, inner = H·W, without the two permutes torchvision
// makes. Each outer slice is one parallel item; within it the sums run over d with i innermost
// (contiguous), in Double, two passes (mean, then the centred squares), as PyTorch's CPU kernel
// keeps float error to the rounding of the result. Contiguous rows (inner = 1) go to CKernels'
// vector kernel (layernorm_impl.h: float vector sums combined in double).

import CKernels

package enum LayerNormKernel {
    /// y = (x − μ)·rstd·γ + β per group; writes μ and rstd (outer × inner each) for the backward.
    package static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, outer: Int, d: Int, inner: Int,
                                gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
                                mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        nonisolated(unsafe) let (x, y, gamma, beta, mean, rstd) = (x, y, gamma, beta, mean, rstd)
        if inner == 1 {
            // Contiguous rows (the last dimension normalised): CKernels' vector passes.
            let isa = KernelISA.active.code
            Threading.parallelFor(outer, grain: Swift.max(1, (Threading.minimumParallelElements / 4) / Swift.max(d, 1))) { r0, r1 in
                vk_layer_norm_rows(isa, x + r0 &* d, y + r0 &* d, r1 &- r0, d, gamma, beta, eps, mean + r0, rstd + r0)
            }
            return
        }
        Threading.parallelFor(outer, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(d &* inner, 1))) { o0, o1 in
            let sum = UnsafeMutablePointer<Double>.allocate(capacity: inner)
            defer { sum.deallocate() }
            for o in o0..<o1 {
                let xo = x + o &* d &* inner, yo = y + o &* d &* inner
                sum.initialize(repeating: 0, count: inner)
                for k in 0..<d { let row = xo + k &* inner; for i in 0..<inner { sum[i] += Double(row[i]) } }
                for i in 0..<inner { mean[o &* inner &+ i] = Float(sum[i] / Double(d)) }
                let mo = mean + o &* inner
                sum.initialize(repeating: 0, count: inner)
                for k in 0..<d {
                    let row = xo + k &* inner
                    for i in 0..<inner { let c = Double(row[i]) - Double(mo[i]); sum[i] += c * c }
                }
                let ro = rstd + o &* inner
                for i in 0..<inner { ro[i] = Float(1 / (sum[i] / Double(d) + Double(eps)).squareRoot()) }
                for k in 0..<d {
                    let (g, b) = (gamma?[k] ?? 1, beta?[k] ?? 0)
                    let row = xo + k &* inner, out = yo + k &* inner
                    for i in 0..<inner { out[i] = (row[i] - mo[i]) * ro[i] * g + b }
                }
            }
        }
    }

    /// dx (overwritten, if asked) = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·γ, per group;
    /// dγ = Σ dy·x̂ and dβ = Σ dy over the groups (overwritten, if asked).
    package static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, outer: Int, d: Int, inner: Int,
                                 gamma: UnsafePointer<Float>?, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                 dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?,
                                 dbeta: UnsafeMutablePointer<Float>?) {
        nonisolated(unsafe) let (x, dy, gamma, mean, rstd, dx) = (x, dy, gamma, mean, rstd, dx)
        if let dx {
            Threading.parallelFor(outer, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(d &* inner, 1))) { o0, o1 in
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 &* inner)
                defer { sums.deallocate() }
                let sumG = sums, sumGX = sums + inner
                for o in o0..<o1 {
                    let base = o &* d &* inner, mo = mean + o &* inner, ro = rstd + o &* inner
                    sums.initialize(repeating: 0, count: 2 &* inner)
                    for k in 0..<d {
                        let g = gamma?[k] ?? 1, row = x + (base &+ k &* inner), grad = dy + (base &+ k &* inner)
                        for i in 0..<inner {
                            let gh = Double(grad[i] * g), xh = Double((row[i] - mo[i]) * ro[i])
                            sumG[i] += gh
                            sumGX[i] += gh * xh
                        }
                    }
                    let scale = 1 / Double(d)
                    for k in 0..<d {
                        let g = gamma?[k] ?? 1, row = x + (base &+ k &* inner), grad = dy + (base &+ k &* inner)
                        let out = dx + (base &+ k &* inner)
                        for i in 0..<inner {
                            let xh = Double((row[i] - mo[i]) * ro[i])
                            let v = Double(grad[i] * g) - sumG[i] * scale - xh * sumGX[i] * scale
                            out[i] = Float(Double(ro[i]) * v)
                        }
                    }
                }
            }
        }
        guard dgamma != nil || dbeta != nil else { return }
        nonisolated(unsafe) let (dgamma, dbeta) = (dgamma, dbeta)
        // Per channel k, over every group: parallel over k (each item reads its rows of every slice).
        Threading.parallelFor(d, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(outer &* inner, 1))) { k0, k1 in
            for k in k0..<k1 {
                var sg = 0.0, sb = 0.0
                for o in 0..<outer {
                    let row = x + (o &* d &+ k) &* inner, grad = dy + (o &* d &+ k) &* inner
                    let mo = mean + o &* inner, ro = rstd + o &* inner
                    for i in 0..<inner {
                        sg += Double(grad[i]) * Double((row[i] - mo[i]) * ro[i])
                        sb += Double(grad[i])
                    }
                }
                dgamma?[k] = Float(sg)
                dbeta?[k] = Float(sb)
            }
        }
    }
}

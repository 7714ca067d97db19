// conv2d weight and bias gradients on our own kernels (CKernels/conv_wgrad.c does the math).
//
// Design. dW (Cout/g × K) += dY (Cout/g × N·OH·OW) · colᵀ, with col's rows gathered and transposed
// straight into the micro-kernel's B panels (no column matrix, no separate transposing pack). Threads
// take disjoint parts of dW, so nothing is reduced afterwards: whole groups when there are at least
// as many groups as threads, else ranges of taps (multiples of NR) when there are at least two tap
// panels per thread, else ranges of output channels (multiples of MR); each thread then packs the
// dY rows it needs itself (Cout/g × N·OH·OW floats against 2·K times as many flops).

import CKernels

enum ImplicitGemmWeightGradient {
    /// dw += ∂loss/∂w and db += ∂loss/∂b of `g` (dw is Cout × Cin/g × kh × kw; db may be nil).
    static func accumulate(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                           db: UnsafeMutablePointer<Float>?, _ g: Conv2dGeometry) {
        if let db { accumulateBiasGradient(dy, db, g) }
        let geometry = g.kernelGeometry
        let isa = KernelISA.active
        let code = isa.code
        let (mr, nr) = isa.gemmTile
        let coutG = g.outChannels / g.groups, k = g.kPerGroup
        let flops = 2 &* g.outChannels &* k &* g.batch &* g.outH &* g.outW
        let threads = Threading.isInsideParallelRegion || flops < Threading.minimumParallelGEMMFlops ? 1 : Threading.count

        /// Groups [g0, g1) × channels [m0, m1) × taps [k0, k1) on the calling thread.
        func run(groups g0: Int, _ g1: Int, rows m0: Int, _ m1: Int, taps k0: Int, _ k1: Int) {
            var geometry = geometry
            for grp in g0..<g1 {
                vk_conv2d_weight_grad(code, &geometry, grp, x, dy, dw + grp &* coutG &* k, m0, m1, k0, k1)
            }
        }
        if threads == 1 {
            return run(groups: 0, g.groups, rows: 0, coutG, taps: 0, k)
        }
        nonisolated(unsafe) let body = run
        let tapPanels = (k + nr - 1) / nr
        if g.groups >= threads {
            Threading.parallelFor(g.groups, grain: 1) { g0, g1 in body(g0, g1, 0, coutG, 0, k) }
        } else if tapPanels >= 2 &* threads || coutG < threads &* mr {
            let per = (tapPanels + threads - 1) / threads &* nr
            Threading.parallelFor(threads, grain: 1) { t0, t1 in
                for t in t0..<t1 { body(0, g.groups, 0, coutG, Swift.min(k, t &* per), Swift.min(k, (t &+ 1) &* per)) }
            }
        } else {
            let per = ((coutG + threads - 1) / threads + mr - 1) / mr * mr
            Threading.parallelFor(threads, grain: 1) { t0, t1 in
                for t in t0..<t1 { body(0, g.groups, Swift.min(coutG, t &* per), Swift.min(coutG, (t &+ 1) &* per), 0, k) }
            }
        }
    }

    /// db[c] += Σ over images and output pixels of dy[n][c].
    static func accumulateBiasGradient(_ dy: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        let ohw = g.outH &* g.outW, cout = g.outChannels, batch = g.batch
        nonisolated(unsafe) let out = db
        Threading.parallelFor(cout, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(1, batch &* ohw))) { c0, c1 in
            for c in c0..<c1 {
                var total = 0.0
                for n in 0..<batch { total += sumContiguous(dy + (n &* cout &+ c) &* ohw, ohw) }
                out[c] += Float(total)
            }
        }
    }
}

// Batch normalisation over raw (N, C, S) buffers (S = H·W, or 1 for BatchNorm1d).
//
// Training: per channel, the mean and biased variance over N·S values (two passes, Double
// accumulators); y = x·a + b with a = γ/√(σ²+ε), b = β − μ·a. Evaluation uses the running
// statistics in the same affine form. Backward (training): with x̂ = (x−μ)/σ,
// dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)), dγ = Σ dy·x̂, dβ = Σ dy. Channels are independent,
// so every loop runs in parallel over channels.

/// The batch-norm kernels.
package enum BatchNormKernel {
    /// Per-channel mean and biased variance of x (N, C, S).
    package static func statistics(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                  mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        Threading.parallelFor(c, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(n &* s, 1))) { c0, c1 in
            for ch in c0..<c1 {
                var total: Double = 0
                for i in 0..<n { total += sumContiguous(x + (i &* c &+ ch) &* s, s) }
                let m = total / Double(n &* s)
                var sq: Double = 0
                let mf = Float(m)
                for i in 0..<n { sq += squaredDeviation(x + (i &* c &+ ch) &* s, s, mean: mf) }
                mean[ch] = mf
                variance[ch] = Float(sq / Double(n &* s))
            }
        }
    }

    /// y = x·scale[c] + shift[c].
    package static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, c: Int, s: Int,
                              scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        Threading.parallelFor(n &* c, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(s, 1))) { r0, r1 in
            for r in r0..<r1 {
                let ch = r % c
                let a = scale[ch], b = shift[ch]
                let src = x + r &* s, dst = y + r &* s
                for j in 0..<s { dst[j] = src[j] * a + b }
            }
        }
    }

    /// Training-mode backward. `dx` is overwritten; `dgamma`/`dbeta` receive the sums.
    package static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, n: Int, c: Int, s: Int,
                                mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?,
                                dbeta: UnsafeMutablePointer<Float>?, training: Bool) {
        let count = Float(n &* s)
        Threading.parallelFor(c, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(n &* s, 1))) { c0, c1 in
            for ch in c0..<c1 {
                let m = mean[ch], inv = invStd[ch]
                var sumDy: Double = 0, sumDyXhat: Double = 0
                for i in 0..<n {
                    let (a, b) = gradientSums(x + (i &* c &+ ch) &* s, dy + (i &* c &+ ch) &* s, s, mean: m)
                    sumDy += a; sumDyXhat += b
                }
                sumDyXhat *= Double(inv)
                dgamma?[ch] = Float(sumDyXhat)
                dbeta?[ch] = Float(sumDy)
                guard let dx else { continue }
                let g = (gamma?[ch] ?? 1) * inv
                if training {
                    let meanDy = Float(sumDy) / count, meanDyXhat = Float(sumDyXhat) / count
                    for i in 0..<n {
                        let px = x + (i &* c &+ ch) &* s, pd = dy + (i &* c &+ ch) &* s, po = dx + (i &* c &+ ch) &* s
                        for j in 0..<s { po[j] = g * (pd[j] - meanDy - (px[j] - m) * inv * meanDyXhat) }
                    }
                } else {
                    for i in 0..<n {
                        let pd = dy + (i &* c &+ ch) &* s, po = dx + (i &* c &+ ch) &* s
                        for j in 0..<s { po[j] = g * pd[j] }
                    }
                }
            }
        }
    }

    /// Σ (p[j] − mean)² over `count` floats, in 16 lanes (a single Float chain would run at one add
    /// per FP latency and round worse).
    @inline(__always)
    static func squaredDeviation(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> Double {
        let m = SIMD16<Float>(repeating: mean)
        var acc = SIMD16<Float>()
        var j = 0
        while j &+ 16 <= count {
            let d = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<Float>.self) - m
            acc += d * d
            j &+= 16
        }
        var total = Double(acc.sum())
        while j < count { let d = p[j] - mean; total += Double(d * d); j &+= 1 }
        return total
    }

    /// (Σ dy, Σ dy·(x − mean)) over `count` floats, in 16 lanes.
    @inline(__always)
    static func gradientSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ count: Int,
                             mean: Float) -> (Double, Double) {
        let m = SIMD16<Float>(repeating: mean)
        var sumDy = SIMD16<Float>(), sumDyX = SIMD16<Float>()
        var j = 0
        while j &+ 16 <= count {
            let d = UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD16<Float>.self)
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self) - m
            sumDy += d
            sumDyX += d * v
            j &+= 16
        }
        var a = Double(sumDy.sum()), b = Double(sumDyX.sum())
        while j < count { a += Double(dy[j]); b += Double(dy[j] * (x[j] - mean)); j &+= 1 }
        return (a, b)
    }
}

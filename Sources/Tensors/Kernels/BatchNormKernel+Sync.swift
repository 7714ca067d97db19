// Batch normalisation whose statistics span every process of a data-parallel run (SyncBatchNorm).
// The single-process kernels fuse each channel's passes; here every pass ends in per-channel sums
// that must be added across processes before the next pass can start, so the passes are split:
// Σx (+ the count) → mean; Σ(x − mean)² → variance, the same two-pass formula as the single-process
// kernel, so one process holding the whole batch and N processes holding its shards agree to
// rounding. Backward sums Σdy and Σdy·x̂ across processes for dx; dγ and dβ stay local sums, which
// the gradient all-reduce then averages like every other parameter gradient.

/// Sums per-channel values over the processes of a data-parallel run. Every process makes the same
/// calls in the same order (each batch-norm layer's forward and backward); a failure ends the run.
public protocol CrossProcessSum: AnyObject, Sendable {
    /// Replaces every value by its sum over all processes.
    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>)
}

extension BatchNormKernel {
    /// Mean and biased variance of x (N, C, S) over the samples of every process; returns the total
    /// count of values per channel.
    package static func statistics(_ x: UnsafePointer<Float>, n: Int, c: Int, s: Int, mean: UnsafeMutablePointer<Float>,
                                  variance: UnsafeMutablePointer<Float>, across sum: any CrossProcessSum) -> Int {
        var sums = [Double](repeating: 0, count: c + 1)
        sums.withUnsafeMutableBufferPointer { out in
            perChannel(c, n: n, s: s) { ch in
                var total: Double = 0
                for i in 0..<n { total += sumContiguous(x + (i &* c &+ ch) &* s, s) }
                out[ch] = total
            }
            out[c] = Double(n &* s)
            sum.sumAcrossProcesses(out)
        }
        let count = sums[c]
        for ch in 0..<c { mean[ch] = Float(sums[ch] / count) }
        sums.withUnsafeMutableBufferPointer { out in
            perChannel(c, n: n, s: s) { ch in
                var sq: Double = 0
                for i in 0..<n { sq += squaredDeviation(x + (i &* c &+ ch) &* s, s, mean: mean[ch]) }
                out[ch] = sq
            }
            sum.sumAcrossProcesses(UnsafeMutableBufferPointer(rebasing: out[0..<c]))
        }
        for ch in 0..<c { variance[ch] = Float(sums[ch] / count) }
        return Int(count)
    }

    /// Training-mode backward with statistics over `count` values per channel across processes:
    /// dx uses the summed Σdy and Σdy·x̂; `dgamma`/`dbeta` receive this process's sums.
    package static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, n: Int, c: Int, s: Int, count: Int,
                                mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?,
                                dbeta: UnsafeMutablePointer<Float>?, across sum: any CrossProcessSum) {
        var sums = [Double](repeating: 0, count: 2 &* c)
        sums.withUnsafeMutableBufferPointer { out in
            perChannel(c, n: n, s: s) { ch in
                var sumDy: Double = 0, sumDyXhat: Double = 0
                for i in 0..<n {
                    let (a, b) = gradientSums(x + (i &* c &+ ch) &* s, dy + (i &* c &+ ch) &* s, s, mean: mean[ch])
                    sumDy += a; sumDyXhat += b
                }
                out[ch] = sumDy
                out[c &+ ch] = sumDyXhat * Double(invStd[ch])
            }
            for ch in 0..<c {
                dbeta?[ch] = Float(out[ch])
                dgamma?[ch] = Float(out[c &+ ch])
            }
            if dx != nil { sum.sumAcrossProcesses(out) }
        }
        guard let dx else { return }
        let total = Float(count)
        sums.withUnsafeBufferPointer { summed in
            perChannel(c, n: n, s: s) { ch in
                let m = mean[ch], inv = invStd[ch], g = (gamma?[ch] ?? 1) * inv
                let meanDy = Float(summed[ch]) / total, meanDyXhat = Float(summed[c &+ ch]) / total
                for i in 0..<n {
                    let px = x + (i &* c &+ ch) &* s, pd = dy + (i &* c &+ ch) &* s, po = dx + (i &* c &+ ch) &* s
                    for j in 0..<s { po[j] = g * (pd[j] - meanDy - (px[j] - m) * inv * meanDyXhat) }
                }
            }
        }
    }

    /// Runs `body` for every channel, in parallel over channels.
    private static func perChannel(_ c: Int, n: Int, s: Int, _ body: (Int) -> Void) {
        Threading.parallelFor(c, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(n &* s, 1))) { c0, c1 in
            for ch in c0..<c1 { body(ch) }
        }
    }
}

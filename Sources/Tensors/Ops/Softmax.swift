// Numerically stable softmax and log-softmax along a dimension, with autograd.
// Each (outer, inner) line of n values: subtract its maximum, exponentiate, normalise.

import Foundation

/// Softmax (or log-softmax) of the lines of an input seen as (outer, n, inner).
func softmaxKernel(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                   outer: Int, n: Int, inner: Int, log: Bool) {
    let lines = outer &* inner
    Threading.parallelFor(lines, grain: Swift.max(1, 4096 / Swift.max(n, 1))) { l0, l1 in
        for line in l0..<l1 {
            let o = line / inner, i = line % inner
            let src = input + (o &* n &* inner &+ i)
            let dst = output + (o &* n &* inner &+ i)
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, src[k &* inner]) }
            if m == -.infinity { m = 0 }
            var total: Float = 0
            for k in 0..<n {
                let e = expf(src[k &* inner] - m)
                dst[k &* inner] = e
                total += e
            }
            if log {
                // (x − m) − log Σ: subtracting the maximum first keeps the result exact for large x.
                let logTotal = logf(total)
                for k in 0..<n { dst[k &* inner] = (src[k &* inner] - m) - logTotal }
            } else {
                let inv = 1 / total
                for k in 0..<n { dst[k &* inner] *= inv }
            }
        }
    }
}

extension Tensor {
    private func softmaxCommon(dim: Int, log: Bool) -> Tensor {
        let d = check { () throws(TensorError) in try Shape.normalize(dim: dim, rank: rank, shape: shape) }
        let (outer, n, inner) = rank == 0 ? (1, 1, 1) : Shape.split(shape, at: d)
        var out = Tensor(uninitializedShape: shape)
        withUnsafeBufferPointer { src in
            softmaxKernel(src.baseAddress!, out.storage.base, outer: outer, n: n, inner: inner, log: log)
        }
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            let dd = rank == 0 ? 0 : d
            out.record(log ? "log_softmax" : "softmax", inputs: [self]) { g in
                if log { return [g - y.exp() * g.sum(dim: dd, keepdim: true)] }
                return [y * (g - (g * y).sum(dim: dd, keepdim: true))]
            }
        }
        return out
    }

    /// Softmax along `dim` (stable: the maximum is subtracted first).
    public func softmax(dim: Int) -> Tensor { softmaxCommon(dim: dim, log: false) }

    /// Log-softmax along `dim` (stable).
    public func logSoftmax(dim: Int) -> Tensor { softmaxCommon(dim: dim, log: true) }
}

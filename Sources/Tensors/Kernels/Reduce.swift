// Reduction kernels over one dimension of a contiguous tensor seen as (outer, n, inner).
//
// sum: when inner == 1 each output is the sum of n contiguous values, accumulated in 8 Float lanes
// over blocks of 2048 values and the block sums added in Double, which keeps the error near
// PyTorch's cascade summation at full vector speed. When inner > 1 the n rows of `inner` values are
// added into the output row (a vectorised axpy-like loop). max: first maximum wins, NaN propagates.

/// Sums `count` contiguous floats (blocked lanes, Double across blocks).
@inlinable
func sumContiguous(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
    var total: Double = 0
    var start = 0
    while start < count {
        let end = Swift.min(count, start &+ 2048)
        var l0: Float = 0, l1: Float = 0, l2: Float = 0, l3: Float = 0
        var l4: Float = 0, l5: Float = 0, l6: Float = 0, l7: Float = 0
        var i = start
        while i &+ 8 <= end {
            l0 += p[i]; l1 += p[i &+ 1]; l2 += p[i &+ 2]; l3 += p[i &+ 3]
            l4 += p[i &+ 4]; l5 += p[i &+ 5]; l6 += p[i &+ 6]; l7 += p[i &+ 7]
            i &+= 8
        }
        var tail: Float = 0
        while i < end { tail += p[i]; i &+= 1 }
        total += Double(((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))) + Double(tail)
        start = end
    }
    return total
}

/// out[o, i] = Σ_k in[o, k, i] for an input seen as (outer, n, inner).
@usableFromInline
func sumKernel(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
               outer: Int, n: Int, inner: Int) {
    if inner == 1 {
        if outer == 1 {
            // One long row: split it across threads, then add the partial sums in order.
            let chunks = Swift.max(1, Swift.min(Threading.count, n / Threading.minimumParallelElements))
            let per = (n + chunks - 1) / chunks
            var partial = [Double](repeating: 0, count: chunks)
            partial.withUnsafeMutableBufferPointer { part in
                let pp = part.baseAddress!
                Threading.parallelFor(chunks, grain: 1) { c0, c1 in
                    for c in c0..<c1 {
                        let s = c &* per
                        pp[c] = s < n ? sumContiguous(input + s, Swift.min(per, n &- s)) : 0
                    }
                }
            }
            output[0] = Float(partial.reduce(0, +))
            return
        }
        Threading.parallelFor(outer, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(n, 1))) { o0, o1 in
            for o in o0..<o1 { output[o] = Float(sumContiguous(input + o &* n, n)) }
        }
        return
    }
    let grain = Swift.max(1, Threading.minimumParallelElements / Swift.max(n &* inner, 1))
    Threading.parallelFor(outer, grain: grain) { o0, o1 in
        for o in o0..<o1 {
            let dst = output + o &* inner
            let src = input + o &* n &* inner
            dst.update(from: src, count: inner)
            var k = 1
            while k < n {
                let row = src + k &* inner
                var i = 0
                while i < inner { dst[i] += row[i]; i &+= 1 }
                k &+= 1
            }
        }
    }
}

/// values[o, i] = max_k in[o, k, i] and the first k attaining it (NaN counts as the maximum).
/// With `isMin` the minimum instead.
@usableFromInline
func extremumKernel(_ input: UnsafePointer<Float>, values: UnsafeMutablePointer<Float>,
                    indices: UnsafeMutablePointer<Int32>, outer: Int, n: Int, inner: Int, isMin: Bool) {
    let grain = Swift.max(1, Threading.minimumParallelElements / Swift.max(n &* inner, 1))
    Threading.parallelFor(outer, grain: grain) { o0, o1 in
        for o in o0..<o1 {
            let src = input + o &* n &* inner
            for i in 0..<inner {
                var best = src[i]
                var bestK: Int32 = 0
                if !best.isNaN {
                    var k = 1
                    while k < n {
                        let v = src[k &* inner &+ i]
                        if v.isNaN { best = v; bestK = Int32(k); break }
                        if isMin ? v < best : v > best { best = v; bestK = Int32(k) }
                        k &+= 1
                    }
                }
                values[o &* inner &+ i] = best
                indices[o &* inner &+ i] = bestK
            }
        }
    }
}

// Elementwise kernels: unary maps and binary maps with PyTorch broadcasting.
//
// Design: each op is a small struct conforming to `UnaryKernel`/`BinaryKernel`; the generic map
// functions are specialised per kernel by the optimiser (whole-module), so the inner loops are plain
// pointer loops the compiler vectorises. Binary maps have fast paths for equal shapes and scalar
// operands; the general broadcasting path collapses the output shape to as few dimensions as
// possible (merging dimensions that are contiguous for both inputs), then runs the innermost
// dimension as a pointer loop with input strides of 0 or 1 and walks the outer dimensions with a
// mixed-radix counter. Work is split over rows across threads when it is large.

/// A function of one `Float`, applied elementwise.
public protocol UnaryKernel {
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two `Float`s, applied elementwise with broadcasting.
public protocol BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// Applies `kernel` to every element of `input` into a new tensor.
@inlinable
public func unaryMap<K: UnaryKernel>(_ input: Tensor, _ kernel: K) -> Tensor {
    var out = Tensor(uninitializedShape: input.shape)
    let src = UnsafePointer(input.storage.base + input.offset)
    let dst = out.storage.base
    withExtendedLifetime(input) {
        Threading.parallelFor(input.count) { start, end in
            var i = start
            while i < end {
                dst[i] = kernel(src[i])
                i &+= 1
            }
        }
    }
    out.node = nil
    return out
}

/// Applies `kernel` in place to every element (the storage is made unique first).
@inlinable
public func unaryMapInPlace<K: UnaryKernel>(_ tensor: inout Tensor, _ kernel: K) {
    tensor.ensureUniqueStorage()
    let p = tensor.storage.base + tensor.offset
    Threading.parallelFor(tensor.count) { start, end in
        var i = start
        while i < end {
            p[i] = kernel(p[i])
            i &+= 1
        }
    }
}

/// The strides of `shape` seen from a broadcast output of rank `rank` (0 where broadcast).
@usableFromInline
func broadcastStrides(_ shape: [Int], rank: Int, outShape: [Int]) -> [Int] {
    let contiguous = Shape.strides(shape)
    var out = [Int](repeating: 0, count: rank)
    let pad = rank - shape.count
    for i in 0..<shape.count where !(shape[i] == 1 && outShape[i + pad] != 1) {
        out[i + pad] = contiguous[i]
    }
    return out
}

/// Collapses an output shape and two stride lists into the fewest dimensions that keep the same
/// addressing. Size-1 dimensions are dropped.
@usableFromInline
func collapseDims(_ shape: [Int], _ sa: [Int], _ sb: [Int]) -> (shape: [Int], sa: [Int], sb: [Int]) {
    var rs: [Int] = [], ra: [Int] = [], rb: [Int] = []
    for i in 0..<shape.count where shape[i] != 1 {
        if let last = rs.last, ra.last! == sa[i] &* shape[i], rb.last! == sb[i] &* shape[i] {
            rs[rs.count - 1] = last &* shape[i]
            ra[ra.count - 1] = sa[i]
            rb[rb.count - 1] = sb[i]
        } else {
            rs.append(shape[i]); ra.append(sa[i]); rb.append(sb[i])
        }
    }
    if rs.isEmpty { return ([1], [1], [1]) }
    return (rs, ra, rb)
}

/// Applies `kernel` to `a` and `b` broadcast against each other (PyTorch rules).
@inlinable
public func binaryMap<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ kernel: K) -> Tensor {
    let outShape = check { () throws(TensorError) in try Shape.broadcast(a.shape, b.shape) }
    var out = Tensor(uninitializedShape: outShape)
    let pa = UnsafePointer(a.storage.base + a.offset)
    let pb = UnsafePointer(b.storage.base + b.offset)
    let po = out.storage.base
    let n = out.count
    withExtendedLifetime((a, b)) {
        if a.shape == b.shape {
            Threading.parallelFor(n) { s, e in
                var i = s
                while i < e { po[i] = kernel(pa[i], pb[i]); i &+= 1 }
            }
        } else if b.count == 1 {
            let vb = pb[0]
            Threading.parallelFor(n) { s, e in
                var i = s
                while i < e { po[i] = kernel(pa[i], vb); i &+= 1 }
            }
        } else if a.count == 1 {
            let va = pa[0]
            Threading.parallelFor(n) { s, e in
                var i = s
                while i < e { po[i] = kernel(va, pb[i]); i &+= 1 }
            }
        } else {
            broadcastLoop(outShape, a.shape, b.shape, pa, pb, po, kernel)
        }
    }
    out.node = nil
    return out
}

/// The general broadcasting path of `binaryMap`.
@inlinable
func broadcastLoop<K: BinaryKernel>(_ outShape: [Int], _ aShape: [Int], _ bShape: [Int],
                                    _ pa: UnsafePointer<Float>, _ pb: UnsafePointer<Float>,
                                    _ po: UnsafeMutablePointer<Float>, _ kernel: K) {
    let rank = outShape.count
    let (shape, sa, sb) = collapseDims(outShape,
                                       broadcastStrides(aShape, rank: rank, outShape: outShape),
                                       broadcastStrides(bShape, rank: rank, outShape: outShape))
    let inner = shape[shape.count - 1]
    let ia = sa[sa.count - 1], ib = sb[sb.count - 1]
    let outerShape = Array(shape.dropLast())
    let outerA = Array(sa.dropLast()), outerB = Array(sb.dropLast())
    let rows = Shape.count(outerShape)
    Threading.parallelFor(rows, grain: max(1, Threading.minimumParallelElements / max(inner, 1))) { r0, r1 in
        // Mixed-radix counter over the outer dimensions, started at row r0.
        var index = [Int](repeating: 0, count: outerShape.count)
        var rem = r0
        var offA = 0, offB = 0
        for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
            index[d] = rem % outerShape[d]
            rem /= outerShape[d]
            offA &+= index[d] &* outerA[d]
            offB &+= index[d] &* outerB[d]
        }
        for r in r0..<r1 {
            let o = po + r &* inner
            let x = pa + offA, y = pb + offB
            var i = 0
            if ia == 1 && ib == 1 {
                while i < inner { o[i] = kernel(x[i], y[i]); i &+= 1 }
            } else if ia == 1 && ib == 0 {
                let v = y[0]
                while i < inner { o[i] = kernel(x[i], v); i &+= 1 }
            } else if ia == 0 && ib == 1 {
                let v = x[0]
                while i < inner { o[i] = kernel(v, y[i]); i &+= 1 }
            } else {
                while i < inner { o[i] = kernel(x[i &* ia], y[i &* ib]); i &+= 1 }
            }
            // Advance the counter.
            var d = outerShape.count - 1
            while d >= 0 {
                index[d] &+= 1
                offA &+= outerA[d]
                offB &+= outerB[d]
                if index[d] < outerShape[d] { break }
                offA &-= outerA[d] &* outerShape[d]
                offB &-= outerB[d] &* outerShape[d]
                index[d] = 0
                d &-= 1
            }
        }
    }
}

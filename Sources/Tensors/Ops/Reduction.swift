// Reductions with autograd: sum, mean, variance, max/min (with indices), argmax/argmin; and
// `sumTo`, which undoes broadcasting in backward passes.

import Traps

extension Tensor {
    /// Normalised, sorted, de-duplicated dimensions (all dimensions when `dims` is empty).
    func reductionDims(_ dims: [Int]) -> [Int] {
        if dims.isEmpty { return Array(0..<rank) }
        let normalized = check { () throws(TensorError) in
            try dims.map { d throws(TensorError) in try Shape.normalize(dim: d, rank: rank, shape: shape) }
        }
        return Array(Set(normalized)).sorted()
    }

    /// The shape after reducing `dims` with keepdim (reduced sizes become 1).
    func keptShape(_ dims: [Int]) -> [Int] {
        var s = shape
        for d in dims where d < s.count { s[d] = 1 }
        return s
    }

    /// Sum over one dimension, keeping it as size 1 (no autograd).
    func sumKeepingDim(_ dim: Int) -> Tensor {
        let (outer, n, inner) = Shape.split(shape, at: dim)
        var outShape = shape
        outShape[dim] = 1
        var out = Tensor(uninitializedShape: outShape)
        withUnsafeBufferPointer { src in
            sumKernel(src.baseAddress!, out.storage.base, outer: outer, n: n, inner: inner)
        }
        out.node = nil
        return out
    }

    /// Sum over all elements: a scalar tensor.
    public func sum() -> Tensor { sum(dims: [], keepdim: false) }

    /// Sum over `dim`.
    public func sum(dim: Int, keepdim: Bool = false) -> Tensor { sum(dims: [dim], keepdim: keepdim) }

    /// Sum over `dims` (all dimensions when empty); reduced dimensions are dropped unless `keepdim`.
    public func sum(dims: [Int], keepdim: Bool = false) -> Tensor {
        let ds = reductionDims(dims)
        var result = detached()
        for d in ds.reversed() { result = result.sumKeepingDim(d) }
        let kept = keptShape(ds)
        let finalShape = keepdim ? kept : shape.enumerated().filter { !ds.contains($0.offset) }.map(\.element)
        var out = result.reinterpreted(as: finalShape)
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("sum", inputs: [self]) { g in [g.reinterpreted(as: kept).broadcastTo(inShape)] }
        }
        return out
    }

    /// Mean over all elements.
    public func mean() -> Tensor { mean(dims: [], keepdim: false) }

    /// Mean over `dim`.
    public func mean(dim: Int, keepdim: Bool = false) -> Tensor { mean(dims: [dim], keepdim: keepdim) }

    /// Mean over `dims` (all dimensions when empty).
    public func mean(dims: [Int], keepdim: Bool = false) -> Tensor {
        let ds = reductionDims(dims)
        let n = ds.reduce(1) { $0 * (rank == 0 ? 1 : shape[$1]) }
        return sum(dims: dims, keepdim: keepdim) * (1 / Float(n))
    }

    /// Variance over `dims` with Bessel's `correction` (PyTorch's `var`, default unbiased).
    public func variance(dims: [Int] = [], correction: Int = 1, keepdim: Bool = false) -> Tensor {
        let ds = reductionDims(dims)
        let n = ds.reduce(1) { $0 * (rank == 0 ? 1 : shape[$1]) }
        let centered = self - mean(dims: dims, keepdim: true)
        return (centered * centered).sum(dims: dims, keepdim: keepdim) * (1 / Float(Swift.max(0, n - correction)))
    }

    /// Variance over one dimension.
    public func variance(dim: Int, correction: Int = 1, keepdim: Bool = false) -> Tensor {
        variance(dims: [dim], correction: correction, keepdim: keepdim)
    }

    /// Maximum over `dim` and the index of its first occurrence (indices as Float values).
    public func max(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(dim: dim, keepdim: keepdim, isMin: false)
    }

    /// Minimum over `dim` and the index of its first occurrence.
    public func min(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(dim: dim, keepdim: keepdim, isMin: true)
    }

    /// The largest element (a scalar tensor; the gradient goes to its first occurrence).
    public func max() -> Tensor { reinterpretedKeepingGraph(as: [count]).max(dim: 0).values }

    /// The smallest element.
    public func min() -> Tensor { reinterpretedKeepingGraph(as: [count]).min(dim: 0).values }

    /// Index of the maximum along `dim` (first occurrence), as Float values.
    public func argmax(dim: Int, keepdim: Bool = false) -> Tensor { max(dim: dim, keepdim: keepdim).indices }

    /// Index of the minimum along `dim` (first occurrence).
    public func argmin(dim: Int, keepdim: Bool = false) -> Tensor { min(dim: dim, keepdim: keepdim).indices }

    private func extremum(dim: Int, keepdim: Bool, isMin: Bool) -> (values: Tensor, indices: Tensor) {
        let d = check { () throws(TensorError) in try Shape.normalize(dim: dim, rank: rank, shape: shape) }
        let src = rank == 0 ? reinterpreted(as: [1]) : detached()
        let (outer, n, inner) = Shape.split(src.shape, at: d)
        if n == 0 { trap("max/min over an empty dimension \(dim) of shape \(describe(shape))") }
        var kept = src.shape
        kept[d] = 1
        var values = Tensor(uninitializedShape: kept)
        var indexBuffer = [Int32](repeating: 0, count: outer * inner)
        src.withUnsafeBufferPointer { s in
            indexBuffer.withUnsafeMutableBufferPointer { ib in
                extremumKernel(s.baseAddress!, values: values.storage.base, indices: ib.baseAddress!,
                               outer: outer, n: n, inner: inner, isMin: isMin)
            }
        }
        var finalShape = src.shape
        if keepdim { finalShape[d] = 1 } else { finalShape.remove(at: d) }
        if rank == 0 { finalShape = [] }
        values = values.reinterpreted(as: finalShape)
        let indices = Tensor(shape: finalShape, data: indexBuffer.map(Float.init))
        if Tensor.shouldRecord(self) {
            let inShape = shape
            values.record(isMin ? "min" : "max", inputs: [self]) { g in
                // Scatter each gradient to the position of its extremum.
                let grad = Tensor.zeros(inShape)
                let gp = grad.storage.base
                g.withUnsafeBufferPointer { gb in
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let j = o * inner + i
                            gp[(o * n + Int(indexBuffer[j])) * inner + i] = gb[j]
                        }
                    }
                }
                return [grad]
            }
        }
        return (values, indices)
    }

    /// Sums this gradient down to `target`, undoing broadcasting: leading extra dimensions and
    /// dimensions where `target` has size 1 are summed.
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var dims: [Int] = Array(0..<Swift.max(lead, 0))
        for (i, s) in target.enumerated() where s == 1 && shape[i + lead] != 1 { dims.append(i + lead) }
        var result = detached()
        for d in dims.reversed() { result = result.sumKeepingDim(d) }
        return result.reinterpreted(as: target)
    }
}

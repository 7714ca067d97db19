// Shape ops with autograd: reshape/view/flatten/squeeze/unsqueeze share storage; narrow/select
// share storage when the slice is contiguous (e.g. along dimension 0) and copy otherwise;
// permute/transpose, cat/stack and broadcastTo make contiguous copies.

import Traps

@usableFromInline struct SecondKernel: BinaryKernel {
    @inlinable init() {}
    @inlinable func callAsFunction(_ a: Float, _ b: Float) -> Float { b }
}

extension Tensor {
    private func normalized(_ dim: Int, rankFor r: Int? = nil) -> Int {
        let rr = r ?? rank
        return check { () throws(TensorError) in try Shape.normalize(dim: dim, rank: rr, shape: shape) }
    }

    /// The same elements under a new shape (one size may be -1). Shares storage.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let target = check { () throws(TensorError) in try Shape.reshape(shape, to: newShape) }
        return reinterpretedKeepingGraph(as: target)
    }

    /// PyTorch's `view`: identical to `reshape`, since tensors are always contiguous.
    public func view(_ newShape: [Int]) -> Tensor { reshape(newShape) }

    /// A reinterpretation that records the shape change for autograd.
    func reinterpretedKeepingGraph(as target: [Int]) -> Tensor {
        var out = reinterpreted(as: target)
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("reshape", inputs: [self]) { g in [g.reinterpreted(as: inShape)] }
        }
        return out
    }

    /// Merges dimensions `startDim...endDim` into one.
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let s = normalized(startDim), e = normalized(endDim)
        guard s <= e else { trap("flatten() has invalid args: start_dim \(startDim) cannot come after end_dim \(endDim) (shape \(describe(shape)))") }
        let merged = shape[s...e].reduce(1, *)
        return reinterpretedKeepingGraph(as: Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Removes all size-1 dimensions, or only `dim` if given and of size 1.
    public func squeeze(_ dim: Int? = nil) -> Tensor {
        guard let dim else { return reinterpretedKeepingGraph(as: shape.filter { $0 != 1 }) }
        if rank == 0 { return self }
        let d = normalized(dim)
        guard shape[d] == 1 else { return self }
        var s = shape
        s.remove(at: d)
        return reinterpretedKeepingGraph(as: s)
    }

    /// Inserts a size-1 dimension at `dim` (in `-(rank+1)...rank`).
    public func unsqueeze(_ dim: Int) -> Tensor {
        let d = normalized(dim, rankFor: rank + 1)
        var s = shape
        s.insert(1, at: d)
        return reinterpretedKeepingGraph(as: s)
    }

    /// Returns itself: tensors are always contiguous. For code written against PyTorch.
    public func contiguous() -> Tensor { self }

    /// Reorders dimensions (a contiguous copy): `permute([0, 2, 3, 1])` turns NCHW into NHWC.
    public func permute(_ order: [Int]) -> Tensor {
        let perm = order.map { normalized($0) }
        guard perm.count == rank, Set(perm).count == rank else {
            trap("permute(\(order)): not a permutation of the \(rank) dimensions of shape \(describe(shape))")
        }
        if perm == Array(0..<rank) { return self }
        var out = Tensor(uninitializedShape: perm.map { shape[$0] })
        let inStrides = Shape.strides(shape)
        let srcStrides = perm.map { inStrides[$0] }
        withUnsafeBufferPointer { src in
            stridedCopy(src.baseAddress!, srcStrides, out.shape, out.storage.base)
        }
        if Tensor.shouldRecord(self) {
            var inverse = [Int](repeating: 0, count: rank)
            for (i, p) in perm.enumerated() { inverse[p] = i }
            out.record("permute", inputs: [self]) { g in [g.permute(inverse)] }
        }
        return out
    }

    /// Swaps two dimensions (a contiguous copy).
    public func transpose(_ dim0: Int, _ dim1: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalized(dim0), normalized(dim1))
        return permute(order)
    }

    /// The transpose of a 2-D tensor (PyTorch's `t()`).
    public func t() -> Tensor {
        guard rank <= 2 else { trap("t() expects a tensor with <= 2 dimensions, got shape \(describe(shape))") }
        return rank < 2 ? self : transpose(0, 1)
    }

    /// `length` entries of `dim` from `start`. Shares storage when the slice is contiguous.
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        let d = normalized(dim)
        let st = start < 0 ? start + shape[d] : start
        guard st >= 0, length >= 0, st + length <= shape[d] else {
            trap("narrow(dim: \(dim), start: \(start), length: \(length)) out of range for shape \(describe(shape))")
        }
        let (outer, n, inner) = Shape.split(shape, at: d)
        var outShape = shape
        outShape[d] = length
        var out: Tensor
        if outer == 1 {
            out = Tensor(storage: storage, offset: offset + st * inner, shape: outShape)
        } else {
            out = Tensor(uninitializedShape: outShape)
            let dst = out.storage.base
            withUnsafeBufferPointer { src in
                for o in 0..<outer {
                    (dst + o * length * inner).update(from: src.baseAddress! + (o * n + st) * inner, count: length * inner)
                }
            }
        }
        out.node = nil
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("narrow", inputs: [self]) { g in
                let grad = Tensor.zeros(inShape)
                let gp = grad.storage.base
                g.withUnsafeBufferPointer { gb in
                    for o in 0..<outer {
                        (gp + (o * n + st) * inner).update(from: gb.baseAddress! + o * length * inner, count: length * inner)
                    }
                }
                return [grad]
            }
        }
        return out
    }

    /// The slice at `index` of `dim`, with that dimension removed.
    public func select(dim: Int, index: Int) -> Tensor {
        let d = normalized(dim)
        return narrow(dim: d, start: index, length: 1).squeeze(d)
    }

    /// The slice at `index` of dimension 0 (a view).
    public subscript(index: Int) -> Tensor { select(dim: 0, index: index) }

    /// The rows `range` of dimension 0 (a view).
    public subscript(range: Range<Int>) -> Tensor { narrow(dim: 0, start: range.lowerBound, length: range.count) }

    /// Splits `dim` into pieces of `size` (the last may be smaller).
    public func split(size: Int, dim: Int = 0) -> [Tensor] {
        let d = normalized(dim)
        trapUnless(size > 0, "split size must be positive")
        return stride(from: 0, to: shape[d], by: size).map { narrow(dim: d, start: $0, length: Swift.min(size, shape[d] - $0)) }
    }

    /// Splits `dim` into `chunks` nearly equal pieces (PyTorch's `chunk`).
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        let d = normalized(dim)
        return split(size: Swift.max(1, (shape[d] + chunks - 1) / chunks), dim: d)
    }

    /// Concatenates tensors along `dim`; all other sizes must match.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first else { trap("cat() needs at least one tensor") }
        let d = first.normalized(dim)
        for t in tensors {
            var a = t.shape, b = first.shape
            guard a.count == b.count else {
                trap("cat(): tensors must have the same rank, got \(describe(first.shape)) and \(describe(t.shape))")
            }
            a[d] = 0; b[d] = 0
            guard a == b else {
                trap("cat(): sizes must match except in dimension \(d), got \(describe(first.shape)) and \(describe(t.shape))")
            }
        }
        var outShape = first.shape
        outShape[d] = tensors.reduce(0) { $0 + $1.shape[d] }
        let (outer, total, inner) = Shape.split(outShape, at: d)
        var out = Tensor(uninitializedShape: outShape)
        let dst = out.storage.base
        var start = 0
        for t in tensors {
            let n = t.shape[d]
            t.withUnsafeBufferPointer { src in
                for o in 0..<outer {
                    (dst + (o * total + start) * inner).update(from: src.baseAddress! + o * n * inner, count: n * inner)
                }
            }
            start += n
        }
        if tensors.contains(where: { shouldRecord($0) }) {
            let sizes = tensors.map { $0.shape[d] }
            let needs = tensors.map(\.requiresGrad)
            out.record("cat", inputs: tensors) { g in
                var s = 0
                return zip(sizes, needs).map { n, need in
                    defer { s += n }
                    return need ? g.narrow(dim: d, start: s, length: n) : nil
                }
            }
        }
        return out
    }

    /// Stacks equally shaped tensors along a new dimension `dim`.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first else { trap("stack() needs at least one tensor") }
        for t in tensors where t.shape != first.shape {
            trap("stack() expects each tensor to be equal size, got \(describe(first.shape)) and \(describe(t.shape))")
        }
        return cat(tensors.map { $0.unsqueeze(dim) }, dim: dim)
    }

    /// A copy of this tensor broadcast to `target` (PyTorch's `expand(...).contiguous()`).
    public func broadcastTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let b = check { () throws(TensorError) in try Shape.broadcast(shape, target) }
        guard b == target else {
            trap("the shape \(describe(shape)) cannot be expanded to \(describe(target))")
        }
        var out = Tensor(uninitializedShape: target)
        var dummy: Float = 0
        withUnsafeBufferPointer { src in
            withUnsafePointer(to: &dummy) { z in
                broadcastLoop(target, [], shape, z, src.baseAddress!, out.storage.base, SecondKernel())
            }
        }
        if Tensor.shouldRecord(self) {
            let inShape = shape
            out.record("expand", inputs: [self]) { g in [g.sumTo(inShape)] }
        }
        return out
    }
}

/// Copies a strided view into a contiguous buffer: `dst[i0, ..., ik]` = `src[Σ ij·srcStrides[j]]`.
func stridedCopy(_ src: UnsafePointer<Float>, _ srcStrides: [Int], _ shape: [Int], _ dst: UnsafeMutablePointer<Float>) {
    let rank = shape.count
    if rank == 0 { dst[0] = src[0]; return }
    let inner = shape[rank - 1], innerStride = srcStrides[rank - 1]
    let outerShape = Array(shape.dropLast()), outerStrides = Array(srcStrides.dropLast())
    let rows = Shape.count(outerShape)
    Threading.parallelFor(rows, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(inner, 1))) { r0, r1 in
        var index = [Int](repeating: 0, count: outerShape.count)
        var rem = r0, off = 0
        for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
            index[d] = rem % outerShape[d]
            rem /= outerShape[d]
            off &+= index[d] &* outerStrides[d]
        }
        for r in r0..<r1 {
            let o = dst + r &* inner
            let s = src + off
            var i = 0
            if innerStride == 1 {
                o.update(from: s, count: inner)
            } else {
                while i < inner { o[i] = s[i &* innerStride]; i &+= 1 }
            }
            var d = outerShape.count - 1
            while d >= 0 {
                index[d] &+= 1
                off &+= outerStrides[d]
                if index[d] < outerShape[d] { break }
                off &-= outerStrides[d] &* outerShape[d]
                index[d] = 0
                d &-= 1
            }
        }
    }
}

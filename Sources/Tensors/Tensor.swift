// The Tensor value type.
//
// Design: a tensor is a shape plus a window (`offset`, `count`) into a shared `TensorStorage`,
// always contiguous and row-major (NCHW for images). Copy-on-write gives value semantics: copies
// share storage until one is written (`ensureUniqueStorage`). Reinterpreting views (reshape, view,
// flatten, squeeze, unsqueeze, narrow/select along dimension 0) share storage; ops that would need
// strides (permute, transpose, narrow on inner dims) make a contiguous copy, and matmul/linear take
// transpose flags instead of transposed copies. Keeping every tensor contiguous keeps every kernel a
// plain loop over raw buffers. `node` links a tensor to the autograd graph (see Autograd.swift).

import Traps

/// An n-dimensional array of `Float` with PyTorch semantics and define-by-run autograd.
public struct Tensor: @unchecked Sendable {
    /// The shared buffer this tensor's elements live in.
    @usableFromInline var storage: TensorStorage
    /// Index of this tensor's first element in `storage`.
    @usableFromInline var offset: Int
    /// Sizes of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// Number of elements (product of `shape`).
    public let count: Int
    /// The autograd node: a leaf's gradient holder, or the op that produced this tensor.
    @usableFromInline var node: GradNode?

    @usableFromInline
    init(storage: TensorStorage, offset: Int, shape: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.count = Shape.count(shape)
    }

    /// An uninitialised tensor of the given shape (for kernels that write every element).
    @inlinable
    public init(uninitializedShape shape: [Int]) {
        check { () throws(TensorError) in try Shape.validate(shape) }
        self.init(storage: TensorStorage(uninitializedCount: Shape.count(shape)), offset: 0, shape: shape)
    }

    /// A tensor of the given shape holding `data` in row-major order.
    public init(shape: [Int], data: [Float]) {
        check { () throws(TensorError) in
            try Shape.validate(shape)
            guard Shape.count(shape) == data.count else {
                throw TensorError("Tensor(shape: \(describe(shape))): expected \(Shape.count(shape)) values, got \(data.count)")
            }
        }
        self.init(uninitializedShape: shape)
        data.withUnsafeBufferPointer { src in
            if let b = src.baseAddress { storage.base.update(from: b, count: data.count) }
        }
    }

    /// A 1-D tensor holding `data`.
    public init(_ data: [Float]) { self.init(shape: [data.count], data: data) }

    /// A 0-dimensional (scalar) tensor.
    public init(scalar value: Float) { self.init(shape: [], data: [value]) }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) -> Int {
        shape[check { () throws(TensorError) in try Shape.normalize(dim: dim, rank: rank, shape: shape) }]
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The value of a one-element tensor.
    public func item() -> Float {
        if count != 1 { trap("item() needs a tensor with one element, got shape \(describe(shape))") }
        return storage.base[offset]
    }

    /// Reads the elements through a buffer pointer (no copy).
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.base + offset, count: count))
        }
    }

    /// Writes the elements through a buffer pointer, copying the storage first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        ensureUniqueStorage()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: count))
        }
    }

    /// Whether this tensor is the only user of its storage (so an in-place write needs no copy).
    @inlinable
    public mutating func isUniquelyReferenced() -> Bool { isKnownUniquelyReferenced(&storage) }

    /// Copy-on-write: gives this tensor its own storage if another tensor shares it.
    @inlinable
    public mutating func ensureUniqueStorage() {
        if isKnownUniquelyReferenced(&storage) { return }
        let fresh = TensorStorage(uninitializedCount: count)
        fresh.base.update(from: storage.base + offset, count: count)
        storage = fresh
        offset = 0
    }

    /// The same elements under another shape with the same element count (shares storage).
    @usableFromInline
    func reinterpreted(as newShape: [Int]) -> Tensor {
        var t = Tensor(storage: storage, offset: offset, shape: newShape)
        t.node = nil
        return t
    }

    /// A contiguous copy with its own storage and no autograd history.
    public func clone() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.base.update(from: storage.base + offset, count: count)
        return t
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        // Only the first elements: printing a large tensor must not copy all of it.
        let head = withUnsafeBufferPointer { $0.prefix(8).map { String($0) } }.joined(separator: ", ")
        let more = count > 8 ? ", ..." : ""
        let grad = requiresGrad ? ", requiresGrad" : ""
        return "Tensor(shape: \(describe(shape)), [\(head)\(more)]\(grad))"
    }
}

// Shape arithmetic shared by every op: element counts, dimension normalisation, broadcasting,
// reshape inference. These functions throw `TensorError`; the ops call them through `check`,
// which turns an error into a trap with the same message (see Docs/Errors.md for the policy).

import Traps

/// An error about tensor shapes, dimensions or autograd use. The message names the shapes involved.
public struct TensorError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, naming the shapes and dimensions involved.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs a shape check inside an op: a failed check is a programmer error and traps with its message
/// (kept in release builds, unlike `precondition`'s).
@inlinable
func check<T>(_ body: () throws(TensorError) -> T) -> T {
    do { return try body() } catch { trap(error.message) }
}

/// Formats a shape as PyTorch prints it: `[2, 3, 4]`.
@inlinable
public func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Static helpers on shapes (arrays of dimension sizes).
public enum Shape {
    /// Number of elements of a shape (1 for a scalar's `[]`).
    @inlinable
    public static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n &*= d }
        return n
    }

    /// Validates a shape: every size must be non-negative.
    public static func validate(_ shape: [Int]) throws(TensorError) {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError("invalid shape \(describe(shape)): size \(bad) is negative")
        }
    }

    /// Maps a possibly negative dimension index into `0..<rank`, as PyTorch does.
    public static func normalize(dim: Int, rank: Int, shape: [Int]? = nil) throws(TensorError) -> Int {
        let r = max(rank, 1)
        let d = dim < 0 ? dim + r : dim
        guard d >= 0 && d < r else {
            let s = shape.map { " of a tensor of shape \(describe($0))" } ?? ""
            throw TensorError("dimension \(dim) out of range (expected to be in range of [\(-r), \(r - 1)])\(s)")
        }
        return d
    }

    /// The broadcast shape of two shapes under PyTorch's rules (align right; sizes equal or one is 1).
    public static func broadcast(_ a: [Int], _ b: [Int]) throws(TensorError) -> [Int] {
        if a == b { return a }
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw TensorError(
                    "shapes \(describe(a)) and \(describe(b)) cannot be broadcast: size \(da) vs \(db) at dimension \(i)")
            }
        }
        return out
    }

    /// Resolves a reshape target (one `-1` allowed) against an element count.
    public static func reshape(_ shape: [Int], to target: [Int]) throws(TensorError) -> [Int] {
        let n = count(shape)
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1 else { throw TensorError("reshape to \(describe(target)): only one dimension can be -1") }
        if let bad = target.first(where: { $0 < -1 }) {
            throw TensorError("reshape to \(describe(target)): invalid size \(bad)")
        }
        var out = target
        if let i = inferred.first {
            let known = target.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            guard known > 0, n % known == 0 else {
                throw TensorError("shape \(describe(target)) is invalid for input of size \(n) (shape \(describe(shape)))")
            }
            out[i] = n / known
        }
        guard count(out) == n else {
            throw TensorError("shape \(describe(target)) is invalid for input of size \(n) (shape \(describe(shape)))")
        }
        return out
    }

    /// Row-major (contiguous) strides of a shape.
    @inlinable
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc &*= shape[i]
        }
        return s
    }

    /// Splits a shape around `dim` into (elements before, size of dim, elements after).
    @inlinable
    public static func split(_ shape: [Int], at dim: Int) -> (outer: Int, size: Int, inner: Int) {
        var outer = 1, inner = 1
        for i in 0..<dim { outer &*= shape[i] }
        for i in (dim + 1)..<shape.count { inner &*= shape[i] }
        return (outer, shape[dim], inner)
    }
}

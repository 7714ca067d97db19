// Arithmetic with broadcasting and autograd: + - * / pow maximum minimum, scalar forms, in-place
// forms. Each backward reduces its gradient to the input's shape (`sumTo`), which undoes broadcasting.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        var out = binaryMap(a, b, AddKernel())
        if shouldRecord(a, b) {
            let (sa, sb, na, nb) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
            out.record("add", inputs: [a, b]) { g in [na ? g.sumTo(sa) : nil, nb ? g.sumTo(sb) : nil] }
        }
        return out
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        var out = binaryMap(a, b, SubKernel())
        if shouldRecord(a, b) {
            let (sa, sb, na, nb) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
            out.record("sub", inputs: [a, b]) { g in [na ? g.sumTo(sa) : nil, nb ? (-g).sumTo(sb) : nil] }
        }
        return out
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        var out = binaryMap(a, b, MulKernel())
        if shouldRecord(a, b) {
            let (x, y, na, nb) = (a.detached(), b.detached(), a.requiresGrad, b.requiresGrad)
            out.record("mul", inputs: [a, b]) { g in
                [na ? (g * y).sumTo(x.shape) : nil, nb ? (g * x).sumTo(y.shape) : nil]
            }
        }
        return out
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        var out = binaryMap(a, b, DivKernel())
        if shouldRecord(a, b) {
            let (x, y, na, nb) = (a.detached(), b.detached(), a.requiresGrad, b.requiresGrad)
            out.record("div", inputs: [a, b]) { g in
                [na ? (g / y).sumTo(x.shape) : nil, nb ? (-(g * x) / (y * y)).sumTo(y.shape) : nil]
            }
        }
        return out
    }

    public static prefix func - (a: Tensor) -> Tensor {
        var out = unaryMap(a, NegKernel())
        if shouldRecord(a) { out.record("neg", inputs: [a]) { g in [-g] } }
        return out
    }

    public static func + (a: Tensor, b: Float) -> Tensor {
        var out = unaryMap(a, AddScalarKernel(b))
        if shouldRecord(a) { out.record("add", inputs: [a]) { g in [g] } }
        return out
    }
    public static func + (a: Float, b: Tensor) -> Tensor { b + a }
    public static func - (a: Tensor, b: Float) -> Tensor { a + (-b) }
    public static func - (a: Float, b: Tensor) -> Tensor { -b + a }

    public static func * (a: Tensor, b: Float) -> Tensor {
        var out = unaryMap(a, MulScalarKernel(b))
        if shouldRecord(a) { out.record("mul", inputs: [a]) { g in [g * b] } }
        return out
    }
    public static func * (a: Float, b: Tensor) -> Tensor { b * a }
    public static func / (a: Tensor, b: Float) -> Tensor { a * (1 / b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) / b }

    /// Elementwise power with a scalar exponent.
    public func pow(_ exponent: Float) -> Tensor {
        var out = unaryMap(self, PowScalarKernel(exponent))
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record("pow", inputs: [self]) { g in
                exponent == 0 ? [g * 0] : [g * (x.pow(exponent - 1) * exponent)]
            }
        }
        return out
    }

    /// Elementwise power with a broadcast tensor exponent.
    public func pow(_ exponent: Tensor) -> Tensor {
        var out = binaryMap(self, exponent, PowKernel())
        if Tensor.shouldRecord(self, exponent) {
            let (x, p, nx, np) = (detached(), exponent.detached(), requiresGrad, exponent.requiresGrad)
            out.record("pow", inputs: [self, exponent]) { g in
                [nx ? (g * p * x.pow(p - 1)).sumTo(x.shape) : nil,
                 np ? (g * binaryMap(x, p, PowExponentGradKernel())).sumTo(p.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise maximum with broadcasting (ties split the gradient equally, as in PyTorch).
    public func maximum(_ other: Tensor) -> Tensor {
        Tensor.minMax(self, other, MaximumKernel(), name: "maximum", sharesFirst: true)
    }

    /// Elementwise minimum with broadcasting.
    public func minimum(_ other: Tensor) -> Tensor {
        Tensor.minMax(self, other, MinimumKernel(), name: "minimum", sharesFirst: false)
    }

    private static func minMax<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ k: K, name: String,
                                                sharesFirst: Bool) -> Tensor {
        var out = binaryMap(a, b, k)
        if shouldRecord(a, b) {
            let (x, y, na, nb) = (a.detached(), b.detached(), a.requiresGrad, b.requiresGrad)
            out.record(name, inputs: [a, b]) { g in
                // Share of the gradient that goes to a: 1 where a wins, 1/2 on ties.
                let shareA = sharesFirst ? binaryMap(x, y, MaximumGradShareKernel())
                                         : binaryMap(y, x, MaximumGradShareKernel())
                return [na ? (g * shareA).sumTo(x.shape) : nil, nb ? (g * (1 - shareA)).sumTo(y.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise clamp into [`min`, `max`] (either bound optional).
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        var out = unaryMap(self, ClampKernel(low, high))
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record("clamp", inputs: [self]) { g in [g * unaryMap(x, InRangeKernel(low, high))] }
        }
        return out
    }

    // MARK: In place

    /// Applies `kernel(self, other)` into `self`, writing in place when nothing records a graph and
    /// the storage is not shared with a tensor the caller can still see.
    @inlinable
    mutating func updateInPlace<K: BinaryKernel>(_ other: Tensor, _ kernel: K,
                                                 fallback: (Tensor, Tensor) -> Tensor) {
        let recording = Tensor.shouldRecord(self, other)
        let outShape = check { () throws(TensorError) in try Shape.broadcast(shape, other.shape) }
        guard !recording, outShape == shape else {
            self = fallback(self, other)
            return
        }
        ensureUniqueStorage()
        let p = storage.base + offset
        let q = UnsafePointer(other.storage.base + other.offset)
        withExtendedLifetime(other) {
            if other.count == 1 {
                let v = q[0]
                Threading.parallelFor(count) { s, e in
                    var i = s
                    while i < e { p[i] = kernel(p[i], v); i &+= 1 }
                }
            } else if other.shape == shape {
                Threading.parallelFor(count) { s, e in
                    var i = s
                    while i < e { p[i] = kernel(p[i], q[i]); i &+= 1 }
                }
            } else {
                // Output and `self` have the same contiguous layout, so element i is read before it
                // is written and never read again: aliasing input and output is safe.
                broadcastLoop(shape, shape, other.shape, UnsafePointer(p), q, p, kernel)
            }
        }
    }

    public static func += (a: inout Tensor, b: Tensor) { a.updateInPlace(b, AddKernel(), fallback: +) }
    public static func -= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, SubKernel(), fallback: -) }
    public static func *= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, MulKernel(), fallback: *) }
    public static func /= (a: inout Tensor, b: Tensor) { a.updateInPlace(b, DivKernel(), fallback: /) }
    public static func += (a: inout Tensor, b: Float) { a += Tensor(scalar: b) }
    public static func -= (a: inout Tensor, b: Float) { a += Tensor(scalar: -b) }
    public static func *= (a: inout Tensor, b: Float) { a *= Tensor(scalar: b) }
    public static func /= (a: inout Tensor, b: Float) { a *= Tensor(scalar: 1 / b) }

    // MARK: Comparisons (no gradient)

    /// 1 where `self == other` (broadcast), else 0.
    public func eq(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.eq)) }
    /// 1 where `self != other`, else 0.
    public func ne(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.ne)) }
    /// 1 where `self < other`, else 0.
    public func lt(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.lt)) }
    /// 1 where `self <= other`, else 0.
    public func le(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.le)) }
    /// 1 where `self > other`, else 0.
    public func gt(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.gt)) }
    /// 1 where `self >= other`, else 0.
    public func ge(_ other: Tensor) -> Tensor { binaryMap(self, other, CompareKernel(.ge)) }
    public func eq(_ v: Float) -> Tensor { eq(Tensor(scalar: v)) }
    public func ne(_ v: Float) -> Tensor { ne(Tensor(scalar: v)) }
    public func lt(_ v: Float) -> Tensor { lt(Tensor(scalar: v)) }
    public func le(_ v: Float) -> Tensor { le(Tensor(scalar: v)) }
    public func gt(_ v: Float) -> Tensor { gt(Tensor(scalar: v)) }
    public func ge(_ v: Float) -> Tensor { ge(Tensor(scalar: v)) }
}

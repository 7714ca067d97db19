// How close computed values are to a reference, for every test target.

/// The first element that violates |a − e| ≤ rtol·|e| + atol, or nil when every element passes.
public func closeness(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) vs \(expected.count)" }
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(Swift.abs(a - e) <= rtol * Swift.abs(e) + atol) {
        return "element \(i): \(a) vs expected \(e)"
    }
    return nil
}

/// Largest absolute difference between two sample arrays (Int.max if the sizes differ).
public func maxAbsDiff(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard a.count == b.count else { return Int.max }
    var m = 0
    for i in a.indices { m = max(m, abs(Int(a[i]) - Int(b[i]))) }
    return m
}

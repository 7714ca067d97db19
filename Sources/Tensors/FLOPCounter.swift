// Counting the multiply-add FLOPs of the products that actually run, for benchmarks' GFLOP/s and
// "% of FMA peak": every convolution (2·Cout·(Cin/groups)·kh·kw·OH·OW per image, whatever algorithm
// ran — Winograd's fewer multiplies still count as the direct convolution's), linear layer
// (2·in·out per row) and matrix product (2·m·n·k per batch entry) adds its count when a counter is
// installed for the scope. Bias adds, normalisation, activations and pooling are not counted (the
// usual "GFLOPs = 2 × MACs" of papers). Outside a counting scope an op pays one task-local read.

import Synchronization

/// Accumulates the FLOPs of the convolutions and matrix products run inside `count(_:)`.
public final class FLOPCounter: Sendable {
    @TaskLocal static var current: FLOPCounter?
    private let total = Mutex(0.0)

    private init() {}

    /// Runs `body`, counting the multiply-add FLOPs of the products it runs on this thread.
    public static func count<R>(_ body: () throws -> R) rethrows -> (result: R, flops: Double) {
        let counter = FLOPCounter()
        let result = try $current.withValue(counter) { try body() }
        return (result, counter.total.withLock { $0 })
    }

    /// Adds `flops()` to the scope's counter, if one is installed.
    @inline(__always) static func add(_ flops: @autoclosure () -> Double) {
        guard let counter = current else { return }
        let value = flops()
        counter.total.withLock { $0 += value }
    }
}

// The one timing helper of the benchmarks: a monotonic clock, timed runs after untimed warm-ups,
// alternating runs of two bodies, and the median (the upper middle of the sorted times).
import Foundation

/// Wall-clock timing on the monotonic clock, in seconds.
public enum Timing {
    /// What one run of `body` returns and the seconds it takes (DispatchTime: CLOCK_MONOTONIC on Linux).
    public static func timed<R>(_ body: () throws -> R) rethrows -> (value: R, seconds: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Seconds of each of `max(runs, 1)` timed runs of `body`, in run order, after `warmups`
    /// untimed runs.
    public static func samples(warmups: Int = 0, runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<max(warmups, 0) { try body() }
        var times: [Double] = []
        for _ in 0..<max(runs, 1) { times.append(try timed(body).seconds) }
        return times
    }

    /// The median of `values` (the upper of the two middle values for an even count); `values`
    /// must not be empty.
    public static func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    /// Median seconds of `repeats` runs of `body` after one warm-up run.
    public static func median(repeats: Int, _ body: () -> Void) -> Double {
        medians(repeats: repeats, body, {}).0
    }

    /// Median seconds of `a` and of `b`, run alternately (a, b, a, b, ...) after one warm-up each,
    /// so that a noisy neighbour slows both alike.
    public static func medians(repeats: Int, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        a(); b()
        var ta: [Double] = [], tb: [Double] = []
        for _ in 0..<max(1, repeats) {
            ta.append(timed(a).seconds)
            tb.append(timed(b).seconds)
        }
        return (median(ta), median(tb))
    }
}

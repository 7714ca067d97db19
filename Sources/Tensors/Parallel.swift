// One thread policy for the whole process.
//
// OpenBLAS runs its own threads inside each GEMM; our elementwise, reduction, pooling and im2col
// loops run on Dispatch's pool outside GEMM. The two are never nested: a parallel loop body must not
// call GEMM, and a parallel loop started inside another runs serially. The thread count is
// `VISION_NUM_THREADS` if set, otherwise the number of active cores; OpenBLAS is set to the same.

import CBLAS
import Dispatch
import Foundation

/// The process-wide thread policy.
public enum Threading {
    /// Threads used by GEMM and by parallel loops.
    public static var count: Int { state.count }

    private struct State: Sendable {
        let count: Int
    }

    private static let state: State = {
        let env = ProcessInfo.processInfo.environment["VISION_NUM_THREADS"].flatMap(Int.init)
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(n))
        return State(count: n)
    }()

    /// Makes sure the policy is applied (OpenBLAS thread count set) before the first GEMM.
    @inline(__always) public static func ensureConfigured() { _ = state }

    @TaskLocal static var insideParallelRegion = false

    /// Below this many elements an elementwise loop runs on one thread: the split costs more than it
    /// saves (about 100 µs of work per chunk is where 2 threads start to pay here).
    public static let minimumParallelElements = 1 << 16

    /// Calls `body(start, end)` over disjoint chunks covering `0..<total`, in parallel when `total`
    /// is at least `grain` and we are not already inside a parallel loop.
    public static func parallelFor(_ total: Int, grain: Int = minimumParallelElements,
                                   _ body: (Int, Int) -> Void) {
        let threads = count
        if total < grain * 2 || threads == 1 || insideParallelRegion {
            if total > 0 { body(0, total) }
            return
        }
        let chunks = min(threads, max(1, total / grain))
        let per = (total + chunks - 1) / chunks
        withoutActuallyEscaping(body) { escapable in
            // The chunks are disjoint by construction; the caller's closure only touches its own chunk.
            let work = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * per
                let end = min(total, start + per)
                if start < end { $insideParallelRegion.withValue(true) { work.value(start, end) } }
            }
        }
    }
}

/// Carries a value into a `@Sendable` closure where the caller guarantees data-race freedom
/// (parallel loops over disjoint chunks of a buffer).
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}

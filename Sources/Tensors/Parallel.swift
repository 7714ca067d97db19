// One thread policy for the whole process: every thread is ours.
//
// GEMMs run single-threaded kernels (our own, or OpenBLAS's with VISION_GEMM=openblas, which is set
// to one thread: its pthread pool would otherwise spin in sched_yield for about 0.1 s after every
// multi-threaded call, taking a core from our own parallel loops). `sgemm` splits a large product
// into one block per thread on our worker pool, and the conv kernels split their work per thread
// themselves. Loops run on `SpinningPool`, whose workers stay awake for a moment between jobs (a
// Dispatch fork/join costs ~55 µs here). A GEMM inside a parallel loop body runs on its caller; a
// parallel loop started inside another runs serially; a forced ISA path (`KernelISA.$override`)
// holds on the pool's threads too. The thread count is `VISION_NUM_THREADS` if set, otherwise the
// number of active cores. VISION_OPENBLAS_POOL=1 gives OpenBLAS its own pool at that many threads
// (with VISION_GEMM=openblas: no split, no per-thread conv pipelines) for comparison.

import CBLAS
import Dispatch
import Foundation

/// The process-wide thread policy.
public enum Threading {
    /// Threads used by GEMM and by parallel loops.
    public static var count: Int { state.count }

    private struct State: Sendable {
        let count: Int
        let openBLASPool: Bool
    }

    /// Whether GEMMs run on OpenBLAS's own thread pool (VISION_OPENBLAS_POOL=1) instead of ours.
    public static var usesOpenBLASPool: Bool { state.openBLASPool }

    private static let state: State = {
        let env = ProcessInfo.processInfo.environment["VISION_NUM_THREADS"].flatMap(Int.init)
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        let pool = ProcessInfo.processInfo.environment["VISION_OPENBLAS_POOL"] == "1"
        openblas_set_num_threads(pool ? Int32(n) : 1)
        return State(count: n, openBLASPool: pool)
    }()

    /// Makes sure the policy is applied (OpenBLAS set to one thread) before the first GEMM.
    @inline(__always) package static func ensureConfigured() { _ = state }

    @TaskLocal static var insideParallelRegion = false

    /// Whether the caller runs inside a `parallelFor` body (where loops and GEMMs run serially).
    public static var isInsideParallelRegion: Bool { insideParallelRegion }

    /// Products below this many flops run as one single-threaded GEMM (about 20 µs of work: the
    /// fork/join costs more than the split saves).
    public static let minimumParallelGEMMFlops = 1 << 21

    /// Runs `body` with OpenBLAS's own thread pool at `threads` threads, then back to one: for
    /// benchmarks that compare against OpenBLAS's multi-threaded GEMM. Leaves OpenBLAS's workers
    /// spinning for ~0.1 s afterwards; measure other work after a pause.
    package static func withOpenBLASThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        ensureConfigured()
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(usesOpenBLASPool ? Int32(count) : 1) }
        return try body()
    }

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
            // The caller's forced ISA path (a task-local) holds on the pool's threads too.
            let isa = KernelISA.override
            let chunk: (Int) -> Void = { c in
                let start = c * per
                let end = min(total, start + per)
                guard start < end else { return }
                KernelISA.$override.withValue(isa) {
                    $insideParallelRegion.withValue(true) { work.value(start, end) }
                }
            }
            // Our spinning pool; Dispatch's when another thread's loop holds it.
            if let pool = SpinningPool.shared, pool.run(chunks: chunks, chunk) { return }
            let sendableChunk = UncheckedSendable(chunk)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in sendableChunk.value(c) }
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

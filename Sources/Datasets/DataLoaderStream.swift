// One epoch of a DataLoader: worker threads make batches ahead of the consumer, which receives
// them in order.
//
// Design: workers claim batch numbers in increasing order from a shared counter, each making a
// whole batch (as torch's workers do), and file the outcome under its number; `next()` waits for
// the number it needs. A worker may claim batch b only while b < next-to-deliver + prefetch, so at
// most `prefetch` batches exist at once, finished or being made (memory stays bounded whatever
// the dataset's size). Everything shared lives in `Shared` under one NSCondition; the stop flag
// is also an atomic so that a worker polls it between samples without taking the lock. Dropping
// the stream sets the flag, wakes everyone and waits until every worker has returned: no thread
// outlives its stream, and none is left blocked. With 0 workers, `next()` makes each batch itself.
import Foundation
import Synchronization

/// The batches of one epoch of a `DataLoader`, in order. Dropping it stops and joins its workers.
public final class DataLoaderStream: BatchStream {
    /// State shared with the workers; every var is guarded by `condition`.
    final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        let stopFlag = Atomic<Bool>(false)
        let end: Int
        let prefetch: Int
        var nextToClaim: Int
        var nextToDeliver: Int
        var ready: [Int: BatchOutcome] = [:]
        var running = 0
        var stopped = false

        init(from first: Int, end: Int, prefetch: Int) {
            nextToClaim = first
            nextToDeliver = first
            self.end = end
            self.prefetch = prefetch
        }
    }

    private let job: BatchJob
    private let shared: Shared
    private let workers: Int
    private let onSkip: (@Sendable (SkippedSample) -> Void)?

    /// Samples skipped so far in the batches delivered (non-strict loaders).
    public private(set) var skippedSamples = 0

    init(job: BatchJob, from first: Int, workers: Int, prefetch: Int, onSkip: (@Sendable (SkippedSample) -> Void)?) {
        self.job = job
        self.workers = workers
        self.onSkip = onSkip
        shared = Shared(from: first, end: job.batchCount, prefetch: prefetch)
        let threads = min(workers, max(job.batchCount - first, 0))
        guard threads > 0 else { return }
        shared.running = threads
        for k in 0..<threads {
            let (shared, job) = (shared, job)
            let thread = Thread { DataLoaderStream.work(shared, job) }
            thread.name = "DataLoader worker \(k)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    deinit {
        let s = shared
        s.condition.lock()
        s.stopped = true
        s.stopFlag.store(true, ordering: .relaxed)
        s.condition.broadcast()
        while s.running > 0 { s.condition.wait() }
        s.condition.unlock()
    }

    /// The next batch in order, nil after the last. A batch whose samples were all skipped is
    /// passed over; a strict loader throws the error of the batch's first failing sample.
    public func next() throws -> Batch? {
        while let outcome = take() {
            switch outcome {
            case .batch(let batch, let skipped):
                skippedSamples += skipped.count
                if let onSkip { skipped.forEach(onSkip) }
                if let batch { return batch }
            case .failure(let error):
                throw error
            case .cancelled:
                return nil
            }
        }
        return nil
    }

    /// The outcome of the next batch, waiting for it; nil at the end of the epoch.
    private func take() -> BatchOutcome? {
        let s = shared
        if workers == 0 {
            guard s.nextToDeliver < s.end else { return nil }
            defer { s.nextToDeliver += 1 }
            return job.make(s.nextToDeliver, stop: { false })
        }
        s.condition.lock()
        defer { s.condition.unlock() }
        guard s.nextToDeliver < s.end else { return nil }
        while s.ready[s.nextToDeliver] == nil { s.condition.wait() }
        let outcome = s.ready.removeValue(forKey: s.nextToDeliver)!
        s.nextToDeliver += 1
        s.condition.broadcast()  // one more batch may now be claimed
        return outcome
    }

    /// A worker: claim the next batch inside the prefetch window, make it, file it; until the end or a stop.
    private static func work(_ s: Shared, _ job: BatchJob) {
        while true {
            s.condition.lock()
            while !s.stopped && s.nextToClaim < s.end && s.nextToClaim >= s.nextToDeliver + s.prefetch {
                s.condition.wait()
            }
            if s.stopped || s.nextToClaim >= s.end {
                s.running -= 1
                s.condition.broadcast()
                s.condition.unlock()
                return
            }
            let b = s.nextToClaim
            s.nextToClaim += 1
            s.condition.unlock()

            let outcome = job.make(b, stop: { s.stopFlag.load(ordering: .relaxed) })

            s.condition.lock()
            s.ready[b] = outcome
            s.condition.broadcast()
            s.condition.unlock()
        }
    }
}

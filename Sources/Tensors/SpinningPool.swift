// The worker threads behind `Threading.parallelFor`: a persistent pool whose threads spin briefly
// between jobs.
//
// Design. A fork/join on Dispatch's pool costs about 55 µs on the target VMs (measured: the second
// chunk starts ~28 µs after the fork, and the caller, parked in the join, takes as long to wake),
// which is as much as a whole 1×1 conv of ResNet-18's layer3, and a conv does one to three of them.
// So the pool keeps `Threading.count − 1` threads of its own. A worker that finished a job less
// than `spinNanoseconds` ago is still polling its mailbox (yielding the core between polls) and
// starts within about a microsecond; one idle for longer is parked on its semaphore and signalled.
// Chunks are claimed, not assigned: one atomic word holds (job number, chunk count, next chunk),
// and the caller and the workers take chunks from it with compare-and-swap, the caller too. So a
// worker the kernel has not scheduled yet (a loaded machine) never holds a loop up — the caller
// runs its chunks — and a worker that wakes after its job ended finds nothing to claim. The caller
// then polls the count of finished chunks until the claimed ones are done. A worker reads the job
// closure only after a successful claim, and the caller replaces it only after every claimed chunk
// finished, so the closure is never read while written. No wake-up is lost: a worker parks (flag
// set, then its mailbox re-read, both sequentially consistent) only when the caller, which bumps the
// mailbox before reading the flag, will see the flag and signal. One job at a time: a caller that
// finds the pool busy (another thread's loop, e.g. a DataLoader worker's transform) gets `false`
// and runs its loop on Dispatch. VISION_SPIN_US sets the spin time (default 300 µs; 0 parks at once).

import Foundation
import Synchronization
import Traps

/// A fixed set of worker threads that run the chunks of one parallel loop at a time.
final class SpinningPool: @unchecked Sendable {
    /// The pool used by `Threading.parallelFor` (`Threading.count − 1` workers), or nil with one thread.
    static let shared: SpinningPool? = Threading.count > 1 ? SpinningPool(workers: Threading.count - 1) : nil

    /// How long a worker polls for the next job before parking.
    static let spinNanoseconds: UInt64 = {
        let us = ProcessInfo.processInfo.environment["VISION_SPIN_US"].flatMap(UInt64.init) ?? 300
        return us * 1000
    }()

    let workers: Int
    private let slots: [WorkerSlot]
    private let busy = Atomic<Bool>(false)
    /// (job number << 32) | (chunk count << 16) | next unclaimed chunk.
    private let claims = Atomic<Int>(0)
    /// Chunks of the current job that have finished.
    private let finished = Atomic<Int>(0)
    /// Numbers the jobs (only the caller holding `busy` touches it).
    private var jobNumber = 0
    // Written by the caller before the job is published, read by workers after a successful claim.
    private var job: ((Int) -> Void)?

    private init(workers: Int) {
        self.workers = workers
        slots = (0..<workers).map { _ in WorkerSlot() }
        for index in 0..<workers {
            let thread = Thread { [unowned self] in
                // Named from the thread itself, and for the kernel directly: Foundation's setter
                // passes the name on only if the creating thread has already recorded the new
                // thread's pthread_t, a race the new thread can win on a loaded machine (it then
                // stayed unnamed for good, and the worker test waited for a "vision-worker" in vain).
                let name = "vision-worker-\(index + 1)"
                Thread.current.name = name
                SpinningPool.setKernelThreadName(name)
                self.workerLoop(index)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Sets the calling thread's name as the kernel shows it (/proc/thread-self/comm, 15 bytes).
    private static func setKernelThreadName(_ name: String) {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        #endif
    }

    /// Runs `body(c)` for every chunk c in 0..<chunks (2 ≤ chunks ≤ workers + 1, at most 65535), each
    /// on the caller or a worker, and returns true when all are done; returns false without running
    /// anything when the pool is busy with another caller's loop.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        trapUnless(chunks >= 1 && chunks <= workers + 1 && chunks < 1 << 16, "SpinningPool: \(chunks) chunks for \(workers) workers")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            finished.store(0, ordering: .relaxed)
            jobNumber &+= 1
            claims.store((jobNumber & 0x7FFF_FFFF) << 32 | chunks << 16, ordering: .releasing)
            for index in 0..<Swift.min(workers, chunks - 1) {
                let slot = slots[index]
                slot.mailbox.add(1, ordering: .sequentiallyConsistent)
                if slot.parked.load(ordering: .sequentiallyConsistent) { slot.wakeUp.signal() }
            }
            while let chunk = claimChunk() {
                escapable(chunk)
                finished.add(1, ordering: .releasing)
            }
            var polls = 0
            while finished.load(ordering: .acquiring) < chunks {
                polls &+= 1
                if polls > 64 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Takes the next unclaimed chunk of the current job, or nil when all are taken.
    private func claimChunk() -> Int? {
        var word = claims.load(ordering: .acquiring)
        while true {
            let next = word & 0xFFFF, count = (word >> 16) & 0xFFFF
            guard next < count else { return nil }
            let (exchanged, original) = claims.compareExchange(expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            word = original
        }
    }

    private func workerLoop(_ index: Int) {
        let slot = slots[index]
        var seen = 0
        while true {
            var idleSince: UInt64 = 0
            var polls = 0
            while slot.mailbox.load(ordering: .acquiring) == seen {
                polls &+= 1
                if polls < 64 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if idleSince == 0 { idleSince = now }
                if now &- idleSince < Self.spinNanoseconds {
                    sched_yield()
                    continue
                }
                slot.parked.store(true, ordering: .sequentiallyConsistent)
                if slot.mailbox.load(ordering: .sequentiallyConsistent) == seen { slot.wakeUp.wait() }
                slot.parked.store(false, ordering: .sequentiallyConsistent)
                idleSince = 0
                polls = 0
            }
            seen = slot.mailbox.load(ordering: .acquiring)
            while let chunk = claimChunk() {
                job?(chunk)
                finished.add(1, ordering: .releasing)
            }
        }
    }
}

/// One worker's mailbox (bumped when a job may have chunks for it), whether it is parked, and the
/// semaphore that wakes it.
private final class WorkerSlot: Sendable {
    let mailbox = Atomic<Int>(0)
    let parked = Atomic<Bool>(false)
    let wakeUp = DispatchSemaphore(value: 0)
    // Keeps two workers' counters off one cache line.
    let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
}

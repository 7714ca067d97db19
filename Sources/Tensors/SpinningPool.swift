// The worker threads behind `Threading.parallelFor`: a persistent pool whose threads spin briefly
// between jobs.
//
// Design. A fork/join on Dispatch's pool costs about 55 µs on the target VMs (measured: the second
// chunk starts ~28 µs after the fork, and the caller, parked in the join, takes as long to wake),
// which is as much as a whole 1×1 conv of ResNet-18's layer3, and a conv does one to three of them.
// So the pool keeps `Threading.count − 1` threads of its own. A job is handed to each worker it
// needs by bumping that worker's atomic generation (workers a loop does not need are left alone, so
// none can see a job late and run it twice); a worker that finished its last job less than `spinNanoseconds` ago is still
// polling that counter (yielding the core to the scheduler between polls) and starts within about
// a microsecond; a worker idle for longer is parked on its semaphore and is signalled. The caller
// runs chunk 0 itself and then polls the count of unfinished chunks instead of sleeping on it.
// No wake-up is lost: a worker parks (flag set, then its generation re-read, both sequentially
// consistent) only when the caller, which bumps the generation before reading the flag, will see
// the flag and signal. One job at a time: a caller that finds the pool busy (another
// thread's loop, e.g. a DataLoader worker's transform) gets `false` and runs its loop elsewhere.
// VISION_SPIN_US sets the spin time (default 300 µs; 0 parks at once).

import Foundation
import Synchronization

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
    private let unfinished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    // Written by the caller before the generation is bumped, read by workers after they see it.
    private var job: ((Int) -> Void)?

    private init(workers: Int) {
        self.workers = workers
        slots = (0..<workers).map { _ in WorkerSlot() }
        for index in 0..<workers {
            let thread = Thread { [unowned self] in
                // Named from the thread itself: Foundation passes a name to the kernel only then.
                Thread.current.name = "vision-worker-\(index + 1)"
                self.workerLoop(index)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(c)` for every chunk c in 0..<chunks (chunks ≤ workers + 1), chunk 0 on the caller,
    /// and returns true when all are done; returns false without running anything when the pool is
    /// busy with another caller's loop.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        precondition(chunks >= 1 && chunks <= workers + 1, "SpinningPool: \(chunks) chunks for \(workers) workers")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            unfinished.store(chunks - 1, ordering: .relaxed)
            for index in 0..<(chunks - 1) {
                let slot = slots[index]
                slot.generation.add(1, ordering: .sequentiallyConsistent)
                if slot.parked.load(ordering: .sequentiallyConsistent) { slot.wakeUp.signal() }
            }
            escapable(0)
            var polls = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                polls &+= 1
                if polls > 64 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func workerLoop(_ index: Int) {
        let slot = slots[index]
        var seen = 0
        while true {
            var idleSince: UInt64 = 0
            var polls = 0
            while slot.generation.load(ordering: .acquiring) == seen {
                polls &+= 1
                if polls < 64 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if idleSince == 0 { idleSince = now }
                if now &- idleSince < Self.spinNanoseconds {
                    sched_yield()
                    continue
                }
                slot.parked.store(true, ordering: .sequentiallyConsistent)
                if slot.generation.load(ordering: .sequentiallyConsistent) == seen { slot.wakeUp.wait() }
                slot.parked.store(false, ordering: .sequentiallyConsistent)
                idleSince = 0
                polls = 0
            }
            seen &+= 1
            job?(index + 1)
            unfinished.subtract(1, ordering: .releasing)
        }
    }
}

/// One worker's mailbox: its job generation, whether it is parked, and the semaphore that wakes it.
private final class WorkerSlot: Sendable {
    let generation = Atomic<Int>(0)
    let parked = Atomic<Bool>(false)
    let wakeUp = DispatchSemaphore(value: 0)
    // Keeps two workers' counters off one cache line.
    let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
}

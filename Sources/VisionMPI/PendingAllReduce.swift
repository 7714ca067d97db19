// Outstanding nonblocking collectives, and the bounded wait every collective goes through.
//
// Design. Open MPI's nonblocking collectives (coll/libnbc) and its shared-memory transport (vader,
// which moves a large message in 32 KB fragments) progress only inside MPI calls, so a wait that
// sleeps between MPI_Test calls stalls the transfer: with 50 µs–1 ms naps a 1 MB all-reduce took
// 20× as long as MPI_Allreduce, 64 MB 6× (2 ranks, one host; `vision bench allreduce`). The wait
// therefore tests continuously, yielding the core between tests (as MPI_Allreduce itself polls),
// for the first `spin` (1 s, `VISION_MPI_SPIN_US`); only a wait that lasts longer (a peer far
// behind, or dead) sleeps between tests, 50 µs doubling to 1 ms, until the deadline. The deadline
// (`MPICommunicator.timeout`) is taken when the wait starts.
import CMPI
import Foundation

/// A nonblocking all-reduce started by `MPICommunicator.startAllReduceSum`. The buffer it was
/// started on belongs to MPI until `poll()` returns true or `wait()` returns: keep it alive and
/// do not touch it. Use it on the MPI thread only.
public final class PendingAllReduce {
    var pending: PendingRequests

    init(_ pending: PendingRequests) { self.pending = pending }

    /// Tests the operation once (MPI_Test, which also drives its progress): true once complete.
    public func poll() throws(DistributedError) -> Bool { try pending.poll() }

    /// Polls until the operation completes; throws `.timedOut` when the communicator's `timeout`
    /// passes first (the buffer then still belongs to MPI: abort rather than reuse it).
    public func wait() throws(DistributedError) { try pending.wait() }

    /// True once `poll()` or `wait()` saw the operation complete.
    public var isComplete: Bool { pending.isComplete }

    deinit {
        // Dropped while running: finish it (bounded) so MPI never writes into a freed buffer.
        if !pending.isComplete { try? pending.wait() }
    }
}

/// The MPI requests of one logical operation (one per ≤ Int32.max-element chunk).
struct PendingRequests {
    let communicator: MPICommunicator
    let operation: String
    var requests: [vmpi_request?]

    /// Test without sleeping this long (`VISION_MPI_SPIN_US` microseconds, default 1 s).
    static let spin: Duration = {
        let text = ProcessInfo.processInfo.environment["VISION_MPI_SPIN_US"] ?? ""
        guard let us = Int64(text), us >= 0 else { return .seconds(1) }
        return .microseconds(us)
    }()

    var isComplete: Bool { requests.allSatisfy { $0 == nil } }

    mutating func poll() throws(DistributedError) -> Bool {
        try communicator.enter(operation)
        for i in requests.indices where requests[i] != nil {
            var done: Int32 = 0
            try check(vmpi_test(&requests[i], &done), "MPI_Test (\(operation))")
            if done == 0 { return false }
        }
        return true
    }

    mutating func wait() throws(DistributedError) {
        let clock = ContinuousClock()
        let start = clock.now
        let timeout = communicator.timeout
        var nap: Duration = .microseconds(50)
        while try !poll() {
            let elapsed = clock.now - start
            if elapsed >= timeout {
                throw .timedOut(rank: communicator.rank, operation: operation, seconds: timeout.seconds)
            }
            if elapsed < Self.spin {
                sched_yield()
                continue
            }
            usleep(UInt32(nap.microseconds))
            nap = min(nap * 2, .milliseconds(1))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}

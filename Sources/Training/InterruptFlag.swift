// A stop request the trainer polls after every step. `installSIGINTHandler()` routes Ctrl-C to it:
// the first Ctrl-C sets the flag, the trainer writes a checkpoint at the next batch boundary and
// returns `.interrupted` (the CLI then exits with 130); a second Ctrl-C exits at once with status
// 130 (checkpoint writes are atomic, so that can only lose the step in progress).
//
// The handler is installed with `sigaction` (SA_RESTART: interrupted reads resume) and does only
// async-signal-safe work: one lock-free atomic increment, and `_exit` on the second signal; no
// queue or thread is involved. The flag compares the process-wide count with the count at the
// time it was armed. (Dispatch's worker threads block signals, so a test must send SIGINT to the
// process with `kill(getpid(), SIGINT)`, not `raise`, which targets the calling thread.)
// Under mpirun the ranks never see a Ctrl-C: mpirun answers its SIGINT by killing the job — SIGCONT
// at once, then SIGTERM and SIGKILL `odls_base_sigkill_timeout` seconds apart (1 s by default) —
// and it forwards SIGUSR1/SIGUSR2 to every rank. A data-parallel run therefore also counts SIGTERM,
// SIGUSR1 and SIGCONT (`also:`); only a second SIGINT exits at once (mpirun's SIGKILL follows its
// SIGTERM anyway). SIGCONT also ends a job-control stop (mpirun turns Ctrl-Z into SIGSTOP): a
// heartbeat thread stamps the time every 20 ms, and a SIGCONT that finds the stamp older than
// 250 ms (every thread was stopped) is a resume, not a stop request. Should a loaded machine make a
// stop look like a resume, the SIGTERM a second later still stops the run.

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINTs received since the process started.
private let sigintCount = Atomic<Int>(0)
/// The count at which the handler exits the process (Int.max: never).
private let sigintExitAt = Atomic<Int>(Int.max)
/// The actions of the handled signals before `installSIGINTHandler`, restored by `removeSIGINTHandler`.
private let previousActions = Mutex<[Int32: sigaction]>([:])

private func handleSIGINT(_ signal: Int32) {
    let n = sigintCount.add(1, ordering: .sequentiallyConsistent).newValue
    if signal == SIGINT && n >= sigintExitAt.load(ordering: .sequentiallyConsistent) { _exit(130) }
}

/// CLOCK_MONOTONIC nanoseconds, async-signal-safe.
private func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// The heartbeat's latest stamp (0: no heartbeat running).
private let heartbeat = Atomic<UInt64>(0)
private let heartbeatStarted = Mutex(false)

/// Starts the heartbeat thread once per process.
private func startHeartbeat() {
    heartbeatStarted.withLock { started in
        guard !started else { return }
        started = true
        heartbeat.store(monotonicNanoseconds(), ordering: .sequentiallyConsistent)
        let thread = Thread {
            while true {
                heartbeat.store(monotonicNanoseconds(), ordering: .sequentiallyConsistent)
                usleep(20_000)
            }
        }
        thread.name = "vision-heartbeat"
        thread.start()
    }
}

private func handleSIGCONT(_: Int32) {
    let last = heartbeat.load(ordering: .sequentiallyConsistent)
    if last != 0 && monotonicNanoseconds() &- last > 250_000_000 { return }  // resumed after a stop
    handleSIGINT(SIGCONT)
}

/// A thread-safe stop flag, optionally set by SIGINT (Ctrl-C).
public final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The SIGINT count when the handler was armed, or -1 when this flag does not listen.
    private let baseline = Atomic<Int>(-1)

    public init() {}

    /// Whether a stop was requested (by `set()` or, when installed, by SIGINT).
    public var isSet: Bool {
        if flag.load(ordering: .acquiring) { return true }
        let base = baseline.load(ordering: .acquiring)
        return base >= 0 && sigintCount.load(ordering: .sequentiallyConsistent) > base
    }

    /// Requests a stop.
    public func set() { flag.store(true, ordering: .releasing) }

    /// Clears the request (and re-arms SIGINT handling: the next Ctrl-C sets the flag again).
    public func reset() {
        flag.store(false, ordering: .releasing)
        if baseline.load(ordering: .acquiring) >= 0 { arm() }
    }

    /// Makes SIGINT (and the signals in `also`: SIGTERM, SIGUSR1 and SIGCONT under mpirun, see the
    /// file's header) set this flag; a second SIGINT exits the process with status 130. One flag
    /// at a time should listen (the handler is process-wide). `removeSIGINTHandler()` restores the
    /// actions they had before.
    public func installSIGINTHandler(also extra: [Int32] = []) {
        arm()
        previousActions.withLock { saved in
            if extra.contains(SIGCONT) { startHeartbeat() }
            for signal in [SIGINT] + extra {
                var previous = sigaction()
                var action = sigaction()
                let handler: @convention(c) (Int32) -> Void = signal == SIGCONT ? handleSIGCONT : handleSIGINT
                #if canImport(Glibc)
                action.__sigaction_handler.sa_handler = handler
                #else
                action.__sigaction_u.__sa_handler = handler
                #endif
                action.sa_flags = SA_RESTART
                sigemptyset(&action.sa_mask)
                guard sigaction(signal, &action, &previous) == 0 else { continue }
                if saved[signal] == nil { saved[signal] = previous }
            }
        }
    }

    /// Restores the actions from before `installSIGINTHandler()` (by default: terminate).
    public func removeSIGINTHandler() {
        previousActions.withLock { saved in
            if saved[SIGINT] == nil { signal(SIGINT, SIG_DFL) }
            for (signal, action) in saved {
                var action = action
                sigaction(signal, &action, nil)
            }
            saved = [:]
        }
        sigintExitAt.store(Int.max, ordering: .sequentiallyConsistent)
        baseline.store(-1, ordering: .releasing)
    }

    private func arm() {
        let now = sigintCount.load(ordering: .sequentiallyConsistent)
        baseline.store(now, ordering: .releasing)
        sigintExitAt.store(now + 2, ordering: .sequentiallyConsistent)
    }
}

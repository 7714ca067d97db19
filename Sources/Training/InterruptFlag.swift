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
// Under mpirun the ranks never see a Ctrl-C: mpirun answers its SIGINT by killing the job (SIGCONT,
// then SIGTERM and SIGKILL `odls_base_sigkill_timeout` seconds apart, 1 s by default), and it
// forwards SIGUSR1/SIGUSR2 to every rank. A data-parallel run therefore also counts SIGTERM and
// SIGUSR1 (`also:`): `kill -USR1 <mpirun's pid>` stops every rank at the next batch boundary.

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

private func handleSIGINT(_: Int32) {
    let n = sigintCount.add(1, ordering: .sequentiallyConsistent).newValue
    if n >= sigintExitAt.load(ordering: .sequentiallyConsistent) { _exit(130) }
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

    /// Makes SIGINT (and the signals in `also`, e.g. SIGTERM and SIGUSR1 under mpirun) set this
    /// flag; a second signal exits the process with status 130. One flag at a time should listen
    /// (the handler is process-wide). `removeSIGINTHandler()` restores the actions they had before.
    public func installSIGINTHandler(also extra: [Int32] = []) {
        arm()
        previousActions.withLock { saved in
            for signal in [SIGINT] + extra {
                var previous = sigaction()
                var action = sigaction()
                #if canImport(Glibc)
                action.__sigaction_handler.sa_handler = handleSIGINT
                #else
                action.__sigaction_u.__sa_handler = handleSIGINT
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

// Threading.parallelFor runs on a pool of spinning worker threads (SpinningPool). Every element of
// a loop must be visited exactly once: back to back (workers spinning), after pauses longer than
// the spin time (workers parked and woken), from several threads at once (the pool busy: the
// others fall back to Dispatch), with loops nested in loop bodies (run serially), and while the
// workers cannot get a core (more busy threads than cores: the caller claims their chunks). Every
// expectation holds whatever the scheduler does: none depends on which thread ran which chunk,
// except the worker check, which waits for the event (a chunk run by a worker) with a bound of
// minutes, not for a timing.

import Foundation
import Synchronization
import Testing
import Tensors
import XCTest

@Suite(.serialized) struct SpinningPoolTests {
    /// The first element visited a wrong number of times, or nil.
    typealias Visits = (counts: [Int32], expected: [Int32], sawWorker: Bool, callerOnlyLoops: Int)

    static func firstMiscount(_ r: Visits) -> Int? {
        r.counts.indices.first { r.counts[$0] != r.expected[$0] }
    }

    /// The kernel's name of the calling thread (the pool names its workers "vision-worker-N").
    static func currentThreadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    }

    /// Runs `loops` parallel loops of varying sizes over one counter buffer and returns how often
    /// each element was visited, whether any chunk ran on one of the pool's worker threads, and in
    /// how many loops every chunk ran on the calling thread.
    static func visit(loops: Int, size: Int, pause: UInt32 = 0) -> Visits {
        var counts = [Int32](repeating: 0, count: size)
        var expected = [Int32](repeating: 0, count: size)
        let sawWorker = Mutex(false)
        let offCaller = Mutex(false)
        var callerOnlyLoops = 0
        counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            for loop in 0..<loops {
                let total = size - loop % 7 * (size / 10)
                for i in 0..<total { expected[i] += 1 }
                let caller = pthread_self()
                offCaller.withLock { $0 = false }
                Threading.parallelFor(total, grain: 64) { start, end in
                    if pthread_equal(pthread_self(), caller) == 0 { offCaller.withLock { $0 = true } }
                    if Self.currentThreadName().hasPrefix("vision-worker") { sawWorker.withLock { $0 = true } }
                    for i in start..<end { base[i] += 1 }
                }
                if !offCaller.withLock({ $0 }) { callerOnlyLoops += 1 }
                if pause > 0 { usleep(pause) }
            }
        }
        return (counts, expected, sawWorker.withLock { $0 }, callerOnlyLoops)
    }

    @Test(.timeLimit(.minutes(1)))
    func loopsAfterTheWorkersParkedStillRunAndFinish() {
        // 2 ms pauses: longer than the default 300 µs spin, so workers park and must be woken.
        let r = Self.visit(loops: 200, size: 4096, pause: 2000)
        #expect(Self.firstMiscount(r) == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func concurrentCallersEachGetTheirWholeLoop() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let r = Self.visit(loops: 500, size: 2000)
                    return Self.firstMiscount(r) == nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }

    @Test(.timeLimit(.minutes(1)))
    func loopsFinishWhileEveryCoreIsBusy() async {
        // Saturate every core with spinning threads, then run loops: the pool's worker may not be
        // scheduled for milliseconds at a time. Chunks are claimed, not assigned, so the caller runs
        // the chunks the worker has not taken (whole loops on the caller; a pool that hands chunk 1
        // to the worker has none and waits for it: 2.2 s here instead of 0.04) and none is lost.
        final class Flag: Sendable { let raised = Atomic<Bool>(false) }
        let stop = Flag()
        let hogs = (0..<4 * Threading.count).map { _ in
            Thread { while !stop.raised.load(ordering: .relaxed) {} }
        }
        hogs.forEach { $0.start() }
        let r = Self.visit(loops: 500, size: 1000)
        stop.raised.store(true, ordering: .relaxed)
        #expect(Self.firstMiscount(r) == nil)
        // How many loops ran wholly on the caller (r.callerOnlyLoops) depends on the scheduler, so it
        // is not asserted: a worker that does get a core may take a chunk of every loop.
    }

    @Test func nestedLoopsRunSeriallyAndCompletely() {
        let rows = 64, columns = 1000
        var grid = [Int32](repeating: 0, count: rows * columns)
        grid.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            Threading.parallelFor(rows, grain: 1) { r0, r1 in
                for r in r0..<r1 {
                    #expect(Threading.isInsideParallelRegion)
                    Threading.parallelFor(columns, grain: 1) { c0, c1 in
                        for c in c0..<c1 { base[r * columns + c] += Int32(r + 1) }
                    }
                }
            }
        }
        #expect(grid == (0..<rows * columns).map { Int32($0 / columns + 1) })
        #expect(!Threading.isInsideParallelRegion)
    }
}

/// The pool's workers, checked under XCTest: `swift test` runs the XCTest cases one at a time and
/// apart from the Swift Testing suites, whose concurrent loops would otherwise hold the pool (their
/// loops then run on Dispatch) while this one wants it.
final class SpinningPoolWorkerTests: XCTestCase {
    func testBackToBackLoopsVisitEveryElementOnce() {
        let r = SpinningPoolTests.visit(loops: 3000, size: 1000)
        XCTAssertNil(SpinningPoolTests.firstMiscount(r))
    }

    func testAChunkTheCallerCannotTakeRunsOnAWorker() {
        // Two chunks; whichever the caller claims waits until the other has run. The caller cannot
        // run it (it is busy in its own), so a worker must, whenever the kernel gives it a core:
        // this waits for that event (up to 5 minutes, on a machine however loaded), not for a time.
        guard Threading.count > 1 else { return }
        let caller = pthread_self()
        let other = Mutex<String?>(nil)
        let start = Date()
        Threading.parallelFor(2, grain: 1) { _, _ in
            if pthread_equal(pthread_self(), caller) != 0 {
                while other.withLock({ $0 }) == nil && Date().timeIntervalSince(start) < 300 { usleep(200) }
            } else {
                let name = SpinningPoolTests.currentThreadName()
                other.withLock { $0 = name }
            }
        }
        let name = other.withLock { $0 }
        XCTAssertEqual(name?.hasPrefix("vision-worker"), true, "the other chunk ran on \(name ?? "no other thread in 5 minutes")")
    }
}

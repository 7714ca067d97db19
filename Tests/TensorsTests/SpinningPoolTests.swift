// Threading.parallelFor runs on a pool of spinning worker threads (SpinningPool). Every element of
// a loop must be visited exactly once: back to back (workers spinning), after pauses longer than
// the spin time (workers parked and woken), from several threads at once (the pool busy: the
// others fall back to Dispatch), and with loops nested in loop bodies (run serially).

import Foundation
import Synchronization
import Testing
import Tensors

@Suite(.serialized) struct SpinningPoolTests {
    /// The first element visited a wrong number of times, or nil.
    static func firstMiscount(_ r: (counts: [Int32], expected: [Int32], sawWorker: Bool)) -> Int? {
        r.counts.indices.first { r.counts[$0] != r.expected[$0] }
    }

    /// The kernel's name of the calling thread (the pool names its workers "vision-worker-N").
    static func currentThreadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    }

    /// Runs `loops` parallel loops of varying sizes over one counter buffer and returns how often
    /// each element was visited, and whether any chunk ran on one of the pool's worker threads.
    static func visit(loops: Int, size: Int, pause: UInt32 = 0) -> (counts: [Int32], expected: [Int32], sawWorker: Bool) {
        var counts = [Int32](repeating: 0, count: size)
        var expected = [Int32](repeating: 0, count: size)
        let sawWorker = Mutex(false)
        counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            for loop in 0..<loops {
                let total = size - loop % 7 * (size / 10)
                for i in 0..<total { expected[i] += 1 }
                Threading.parallelFor(total, grain: 64) { start, end in
                    if Self.currentThreadName().hasPrefix("vision-worker") { sawWorker.withLock { $0 = true } }
                    for i in start..<end { base[i] += 1 }
                }
                if pause > 0 { usleep(pause) }
            }
        }
        return (counts, expected, sawWorker.withLock { $0 })
    }

    @Test func backToBackLoopsVisitEveryElementOnce() {
        let r = Self.visit(loops: 3000, size: 1000)
        #expect(Self.firstMiscount(r) == nil)
        if Threading.count > 1 { #expect(r.sawWorker == true, "no chunk ran on the pool's workers") }
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

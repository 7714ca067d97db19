// Static memory planning for a repeated computation (an inference plan's forward pass).
//
// Design. A model in evaluation mode with a fixed input shape allocates the same sequence of tensor
// buffers, of the same sizes, in the same order, on every call, and frees them in the same order.
// `ActivationArena.record` runs the computation once with every allocation on the calling task
// noted (size, and when its storage is freed); a linear scan then places each buffer at an offset
// of one arena (first fit over the gaps left by freed buffers, 64-byte aligned), so the arena is as
// large as the peak of live activations. `replay` runs the computation again with the k-th
// allocation of the task handed `arena + offset[k]`: no allocator calls, no page faults, the
// activations' memory allocated once. A run that allocates differently (another size, more
// buffers) gets ordinary buffers for the rest and is reported as diverged; an arena buffer still
// alive after the run (one that escaped into a cache) keeps that arena alive, and the next run
// gets a fresh arena, so no live tensor is ever overwritten. Only the task that runs the plan
// takes part: the kernels' worker threads allocate with the caching allocator as usual.

import Foundation

/// A block of memory that plans place activations in; freed when its last buffer is gone.
package final class ActivationArena: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    /// Buffers of this arena now alive (under `liveLock`).
    private var live = 0
    private let liveLock = NSLock()

    func retainBuffer() { liveLock.lock(); live += 1; liveLock.unlock() }
    func releaseBuffer() { liveLock.lock(); live -= 1; liveLock.unlock() }

    package init(bytes: Int) {
        self.bytes = bytes
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 64)
    }

    deinit { base.deallocate() }

    /// Buffers placed in this arena that are still alive.
    package var liveBuffers: Int { liveLock.lock(); defer { liveLock.unlock() }; return live }

    /// The task's current recording or replay, if any.
    @TaskLocal static var session: Session?

    /// What allocations on the current task do during a plan's recording or replay.
    final class Session: @unchecked Sendable {
        enum Mode { case record, replay }
        struct State {
            var sizes: [Int] = []
            var offsets: [Int] = []
            /// Allocations and frees (by allocation index) in order (record).
            var events: [(index: Int, freed: Bool)] = []
            var next = 0
            var diverged = false
        }
        let mode: Mode
        let arena: ActivationArena?
        private var state: State
        private let lock = NSLock()

        init(record: Void) {
            mode = .record
            arena = nil
            state = State()
        }

        init(replay layout: Layout, arena: ActivationArena) {
            mode = .replay
            self.arena = arena
            state = State(sizes: layout.sizes, offsets: layout.offsets)
        }

        func withState<R>(_ body: (inout State) -> R) -> R {
            lock.lock()
            defer { lock.unlock() }
            return body(&state)
        }

        /// The next allocation, of `bytes`: its index, and (replay, as recorded) its place in the arena.
        func take(bytes: Int) -> (index: Int, pointer: UnsafeMutableRawPointer?) {
            withState { s in
                let index = s.next
                s.next += 1
                switch mode {
                case .record:
                    s.sizes.append(bytes)
                    s.events.append((index, false))
                    return (index, nil)
                case .replay:
                    guard let arena, !s.diverged, index < s.sizes.count, s.sizes[index] == bytes else {
                        s.diverged = true
                        return (index, nil)
                    }
                    arena.retainBuffer()
                    return (index, arena.base + s.offsets[index])
                }
            }
        }

        /// Records that allocation `index` was freed (record).
        func freed(_ index: Int) { withState { $0.events.append((index, true)) } }
    }

    /// Where each of a recorded run's allocations goes, and the arena size that needs.
    package struct Layout: Sendable {
        /// Bytes of each allocation, in order.
        package let sizes: [Int]
        /// Each allocation's offset in the arena.
        package let offsets: [Int]
        /// The arena's size: the peak of live activations.
        package let bytes: Int

        /// First-fit placement of the recorded allocations in their alloc/free order.
        package init(sizes: [Int], events: [(index: Int, freed: Bool)]) {
            var offsets = [Int](repeating: 0, count: sizes.count)
            var gaps: [(offset: Int, bytes: Int)] = []  // free ranges below `end`, sorted by offset
            var end = 0, peak = 0
            for event in events {
                let size = (sizes[event.index] + 63) & ~63
                if event.freed {
                    gaps.append((offsets[event.index], size))
                    gaps.sort { $0.offset < $1.offset }
                    var merged: [(offset: Int, bytes: Int)] = []
                    for gap in gaps {
                        if let last = merged.last, last.offset + last.bytes == gap.offset {
                            merged[merged.count - 1].bytes += gap.bytes
                        } else {
                            merged.append(gap)
                        }
                    }
                    if let last = merged.last, last.offset + last.bytes == end {  // a gap at the top lowers the end
                        end = last.offset
                        merged.removeLast()
                    }
                    gaps = merged
                } else if let g = gaps.firstIndex(where: { $0.bytes >= size }) {
                    offsets[event.index] = gaps[g].offset
                    gaps[g].offset += size
                    gaps[g].bytes -= size
                    if gaps[g].bytes == 0 { gaps.remove(at: g) }
                } else {
                    offsets[event.index] = end
                    end += size
                }
                peak = Swift.max(peak, end)
            }
            self.sizes = sizes
            self.offsets = offsets
            bytes = peak
        }
    }

    /// Runs `body` once, noting every allocation of this task, and returns its result and the layout.
    package static func record<R>(_ body: () throws -> R) rethrows -> (R, Layout) {
        let session = Session(record: ())
        let result = try $session.withValue(session) { try body() }
        let (sizes, events) = session.withState { ($0.sizes, $0.events) }
        return (result, Layout(sizes: sizes, events: events))
    }

    /// Runs `body` with this task's allocations placed in `arena` by `layout`; returns its result
    /// and whether the run allocated exactly as recorded.
    package static func replay<R>(_ layout: Layout, in arena: ActivationArena, _ body: () throws -> R) rethrows
        -> (result: R, matched: Bool) {
        let session = Session(replay: layout, arena: arena)
        let result = try $session.withValue(session) { try body() }
        let matched = session.withState { !$0.diverged && $0.next == layout.sizes.count }
        return (result, matched)
    }
}

/// How a storage's memory was obtained during a plan's recording or replay.
enum PlannedBuffer {
    /// From the caching allocator, noted as allocation `index` of a recording.
    case recorded(ActivationArena.Session, Int)
    /// Inside an arena (which it keeps alive).
    case arena(ActivationArena)
}

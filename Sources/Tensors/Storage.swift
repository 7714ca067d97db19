// Tensor storage and the caching allocator behind it.
//
// Design: every tensor's elements live in a `TensorStorage`, a reference-counted, 64-byte-aligned
// buffer. Fresh pages are expensive on the target machines (about 2.5 µs per 4 KiB page on first
// touch, measured on the project's 2-core VMs), and glibc returns large blocks to the OS on free, so a plain
// allocate/free per op would spend more time in page faults than in arithmetic. Freed buffers are
// therefore kept in per-size-class free lists and handed out again. Size classes are powers of two
// split into four steps (1, 1.25, 1.5, 1.75 × 2^k), so at most 25% of a block is slack. The cache is
// capped (`VISION_CACHE_MB`, default 2048 MiB); past the cap, buffers really are freed.

import Foundation
import Synchronization
import Traps

/// A reference-counted, 64-byte-aligned buffer of `Float`s. Tensors share one until they are written.
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of elements the tensor may use (the block may be larger: see `capacity`).
    public let count: Int
    @usableFromInline let capacityBytes: Int
    /// Set while an inference plan records or replays (`ActivationArena`).
    let planned: PlannedBuffer?
    /// Whether the buffer goes back to the system rather than the cache when released: set for a
    /// long-lived buffer (a model's weight) whose memory should not stay resident for reuse.
    private let releasesToSystem = Atomic<Bool>(false)

    /// Makes this buffer's release return its memory to the system (not to the cache).
    package func releaseToSystemWhenFreed() { releasesToSystem.store(true, ordering: .relaxed) }

    /// Allocates `count` uninitialised elements from the caching allocator (or, while an inference
    /// plan replays on this task, at the place it planned for this buffer).
    public init(uninitializedCount count: Int) {
        trapUnless(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let request = max(count, 1) &* MemoryLayout<Float>.stride
        var planned: PlannedBuffer?
        if let session = ActivationArena.session {
            let (index, pointer) = session.take(bytes: request)
            if let pointer, let arena = session.arena {
                self.base = pointer.bindMemory(to: Float.self, capacity: max(count, 1))
                self.capacityBytes = request
                self.planned = .arena(arena)
                return
            }
            if session.mode == .record { planned = .recorded(session, index) }
        }
        let (pointer, bytes) = CachingAllocator.shared.allocate(bytes: request)
        self.base = pointer.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.stride)
        self.capacityBytes = bytes
        self.planned = planned
    }

    deinit {
        switch planned {
        case .arena(let arena):
            arena.releaseBuffer()
            return
        case .recorded(let session, let index):
            session.freed(index)
        case nil:
            break
        }
        if releasesToSystem.load(ordering: .relaxed) {
            CachingAllocator.shared.releaseToSystem(UnsafeMutableRawPointer(base), bytes: capacityBytes)
        } else {
            CachingAllocator.shared.release(UnsafeMutableRawPointer(base), bytes: capacityBytes)
        }
    }
}

/// Reuses freed tensor buffers by size class (see the file header).
public final class CachingAllocator: Sendable {
    /// The allocator all tensors use.
    public static let shared = CachingAllocator(
        limitBytes: (ProcessInfo.processInfo.environment["VISION_CACHE_MB"].flatMap(Int.init) ?? 2048) << 20)

    /// A cached block; only the allocator touches it, under its lock.
    struct Block: @unchecked Sendable { let pointer: UnsafeMutableRawPointer }

    struct State {
        var freeLists: [Int: [Block]] = [:]
        var cachedBytes = 0
        var liveBytes = 0
        var peakLiveBytes = 0
    }

    private let state = Mutex(State())
    private let limitBytes: Int

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// Rounds a request up to its size class: a multiple of 64 bytes below 256 bytes, otherwise
    /// 2^k × (1, 1.25, 1.5 or 1.75).
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= 256 { return max(64, (bytes + 63) & ~63) }
        let k = Int.bitWidth - (bytes - 1).leadingZeroBitCount - 1  // 2^k <= bytes-1 < 2^(k+1)
        let quarter = 1 << (k - 2)
        let base = 1 << k
        let steps = (bytes - base + quarter - 1) / quarter
        return base + steps * quarter
    }

    func allocate(bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        let size = Self.sizeClass(bytes)
        let reused: Block? = state.withLock { s in
            s.liveBytes += size
            s.peakLiveBytes = max(s.peakLiveBytes, s.liveBytes)
            guard let p = s.freeLists[size]?.popLast() else { return nil }
            s.cachedBytes -= size
            return p
        }
        if let reused { return (reused.pointer, size) }
        return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), size)
    }

    func release(_ pointer: UnsafeMutableRawPointer, bytes size: Int) {
        let block = Block(pointer: pointer)
        let keep: Bool = state.withLock { s in
            s.liveBytes -= size
            guard s.cachedBytes + size <= limitBytes else { return false }
            s.freeLists[size, default: []].append(block)
            s.cachedBytes += size
            return true
        }
        if !keep { pointer.deallocate() }
    }

    /// Frees a block from `allocate(bytes:)` without caching it.
    func releaseToSystem(_ pointer: UnsafeMutableRawPointer, bytes size: Int) {
        state.withLock { $0.liveBytes -= size }
        pointer.deallocate()
    }

    /// Returns every cached (unused) block to the system.
    public func emptyCache() {
        let blocks: [Block] = state.withLock { s in
            let all = s.freeLists.values.flatMap { $0 }
            s.freeLists.removeAll()
            s.cachedBytes = 0
            return all
        }
        for b in blocks { b.pointer.deallocate() }
    }

    /// Bytes held by live tensors, bytes cached for reuse, and the peak of live bytes.
    public var statistics: (liveBytes: Int, cachedBytes: Int, peakLiveBytes: Int) {
        state.withLock { ($0.liveBytes, $0.cachedBytes, $0.peakLiveBytes) }
    }
}

extension Tensor {
    /// Makes this tensor's buffer go back to the system, not to the tensor cache, when the last
    /// tensor holding it goes (a model's weights, released once, would stay resident in the cache).
    package func releaseStorageToSystemWhenFreed() { storage.releaseToSystemWhenFreed() }
}

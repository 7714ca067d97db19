// Seeds and permutations for the DataLoader and random splits, defined here (not borrowed from the
// standard library's `shuffle(using:)`, whose algorithm is not promised to stay the same) so that a
// saved (seed, epoch, batch) resumes to the same batches on any toolchain.
// - The DataLoader's epoch order is PyTorch's: epoch e (from 0) gets the (e+1)-th
//   `torch.randperm(count, generator=g)` of `g = torch.Generator().manual_seed(seed)`, as in a
//   PyTorch loop that draws one permutation per epoch (/work/shared/bench/fashion_torch.py). It is
//   still a function of (seed, epoch): the generator is replayed from the seed, and the state after
//   the latest epoch is cached so a run's epochs cost one permutation each.
// - A seed for a (seed, epoch[, index]) tuple folds each word through SplitMix64's finaliser.
// - A permutation is Fisher–Yates, drawing each position with Lemire's multiply-shift method
//   (unbiased: rejection below 2^64 mod n).
import Synchronization
import Tensors
import Traps

enum Seeds {
    @inline(__always)
    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A well-mixed 64-bit seed from several words (order matters).
    static func mix(_ words: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(words.count)
        for w in words { h = splitMix(h ^ splitMix(w)) }
        return h
    }
}

/// A uniform integer in 0..<n (n > 0), unbiased (Lemire). `package` for the DataLoader benchmark's folder.
@inline(__always)
package func boundedRandom(_ n: UInt64, _ rng: inout RandomGenerator) -> UInt64 {
    var m = rng.next().multipliedFullWidth(by: n)
    if m.low < n {
        let threshold = (0 &- n) % n
        while m.low < threshold { m = rng.next().multipliedFullWidth(by: n) }
    }
    return m.high
}

/// A uniformly random permutation of 0..<count (Fisher–Yates), a function of the generator's state only.
public func randomPermutation(_ count: Int, using rng: inout RandomGenerator) -> [Int] {
    trapUnless(count >= 0, "randomPermutation: negative count \(count)")
    var p = Array(0..<count)
    p.withUnsafeMutableBufferPointer { a in
        var i = count &- 1
        while i > 0 {
            let j = Int(boundedRandom(UInt64(i &+ 1), &rng))
            a.swapAt(i, j)
            i = i &- 1
        }
    }
    return p
}

/// The order of `epoch` (from 0) for `count` shuffled samples: the (epoch+1)-th
/// `torch.randperm(count)` of a PyTorch generator seeded with `seed` (see the file header).
public func torchEpochOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    trapUnless(count >= 0 && epoch >= 0, "torchEpochOrder: negative count \(count) or epoch \(epoch)")
    let key = EpochOrderCache.Key(count: count, seed: seed)
    // The generator after the latest epoch drawn for (count, seed), to continue from.
    var (start, generator) = EpochOrderCache.shared.withLock { cache in
        if let hit = cache[key], hit.epoch < epoch { return (hit.epoch + 1, hit.generator) }
        return (0, TorchGenerator(seed: seed))
    }
    var order: [Int] = []
    while start <= epoch {
        order = generator.randperm(count)
        start += 1
    }
    let state = generator
    EpochOrderCache.shared.withLock { cache in
        if cache.count > 16 { cache.removeAll() }
        cache[key] = (epoch, state)
    }
    return order
}

/// Generator states after the latest epoch order drawn, per (count, seed).
private enum EpochOrderCache {
    struct Key: Hashable { let count: Int, seed: UInt64 }
    static let shared = Mutex<[Key: (epoch: Int, generator: TorchGenerator)]>([:])
}

// Seeds and permutations for the DataLoader and random splits, defined here (not borrowed from the
// standard library's `shuffle(using:)`, whose algorithm is not promised to stay the same) so that a
// saved (seed, epoch, batch) resumes to the same batches on any toolchain.
// - A seed for a (seed, epoch[, index]) tuple folds each word through SplitMix64's finaliser.
// - A permutation is Fisher–Yates, drawing each position with Lemire's multiply-shift method
//   (unbiased: rejection below 2^64 mod n).
import Tensors

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

/// A uniform integer in 0..<n (n > 0), unbiased (Lemire).
@inline(__always)
func boundedRandom(_ n: UInt64, _ rng: inout RandomGenerator) -> UInt64 {
    var m = rng.next().multipliedFullWidth(by: n)
    if m.low < n {
        let threshold = (0 &- n) % n
        while m.low < threshold { m = rng.next().multipliedFullWidth(by: n) }
    }
    return m.high
}

/// A uniformly random permutation of 0..<count (Fisher–Yates), a function of the generator's state only.
public func randomPermutation(_ count: Int, using rng: inout RandomGenerator) -> [Int] {
    datasetCheck(count >= 0, "randomPermutation: negative count \(count)")
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

// PyTorch's CPU random generator, draw for draw, so that a seed means what it means in PyTorch:
// `TorchGenerator.manualSeed(0)` then building a model gives the weights `torch.manual_seed(0)`
// then building the same torch.nn model gives, and `randperm` the order `torch.randperm` gives.
//
// Design (from ATen's CPUGeneratorImpl, checked against torch 2.15 by Scripts/make_rng_fixtures.py):
// - Engine: MT19937 seeded with the low 32 bits of the seed (init_genrand). `random()` is one
//   32-bit output; `random64()` two, the first in the high half.
// - uniform_ on float: one `random()` per element, x = (r & 2^24−1) / 2^24, value =
//   Float(x · (to − from) + from) computed in Double with from/to already rounded to Float.
// - normal_ on ≥ 16 contiguous floats (normal_fill): every element first gets such a uniform in
//   [0, 1); then each block of 16 turns pairs (j, j+8) into Box–Muller normals, in Float; a
//   size that is not a multiple of 16 redraws 16 uniforms for the last 16 elements and transforms
//   those again. (PyTorch's AVX2 build evaluates log/sin/cos with SLEEF: values can differ from
//   ours in the last bit.) Fewer than 16: one Double normal per element from two 53-bit uniforms
//   of `random64()`, r = √(−2·log1p(−u2)), θ = 2π·u1, value r·cos θ, and r·sin θ kept for the
//   next call (the generator's cached normal, reset by seeding).
// - randperm(n): identity, then for i in 0..<n−1 swap i with i + random() % (n − i) (n below
//   2^32/20; above, the inside-out variant with random64() % (i + 1)).

import Foundation
import Synchronization
import Traps

/// PyTorch's CPU generator (MT19937 with PyTorch's seeding and sampling rules).
public struct TorchGenerator: Sendable, Equatable, Codable {
    private static let stateWords = 624
    private static let shift = 397

    /// The 624 MT19937 state words.
    private var words: [UInt32]
    /// Index of the next state word to temper (624: regenerate first).
    private var position: Int
    /// The second normal of the last Box–Muller pair of the scalar (fewer than 16) path.
    private var cachedNormal: Double?

    /// The generator `torch.Generator().manual_seed(seed)` gives (only the low 32 bits count).
    public init(seed: UInt64) {
        var w = [UInt32](repeating: 0, count: Self.stateWords)
        w[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<Self.stateWords {
            w[j] = 1_812_433_253 &* (w[j &- 1] ^ (w[j &- 1] >> 30)) &+ UInt32(j)
        }
        words = w
        position = Self.stateWords
        cachedNormal = nil
    }

    private mutating func regenerate() {
        let n = Self.stateWords, m = Self.shift
        words.withUnsafeMutableBufferPointer { s in
            for k in 0..<n {
                let y = (s[k] & 0x8000_0000) | (s[(k &+ 1) % n] & 0x7FFF_FFFF)
                s[k] = s[(k &+ m) % n] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
            }
        }
        position = 0
    }

    /// One 32-bit output (PyTorch's `random()`).
    public mutating func random() -> UInt32 {
        if position >= Self.stateWords { regenerate() }
        var y = words[position]
        position &+= 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Two 32-bit outputs, the first in the high half (PyTorch's `random64()`).
    public mutating func random64() -> UInt64 {
        let high = UInt64(random())
        return high << 32 | UInt64(random())
    }

    /// 24 bits of one `random()` as a Double in [0, 1): PyTorch's float uniform before scaling.
    private mutating func unit24() -> Double { Double(random() & 0xFF_FFFF) * (1.0 / 16_777_216.0) }

    /// A uniform Float in [0, 1) as `torch.rand` draws it.
    public mutating func nextUniform() -> Float { Float(unit24()) }

    /// A uniform Double in [0, 1) with 53 bits of one `random64()`.
    public mutating func nextUniformDouble() -> Double {
        Double(random64() & ((1 << 53) - 1)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Fills `count` floats as `tensor.uniform_(low, high)` does.
    public mutating func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        let from = Double(low), span = Double(high) - Double(low)
        for i in 0..<count {
            p[i] = Float(unit24() * span + from)
        }
    }

    /// Fills `count` contiguous floats as `tensor.normal_(mean, std)` does.
    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float, std: Float) {
        guard count >= 16 else {
            for i in 0..<count { p[i] = Float(nextNormalDouble() * Double(std) + Double(mean)) }
            return
        }
        for i in 0..<count { p[i] = nextUniform() }
        var i = 0
        while i + 16 <= count {
            Self.boxMuller16(p + i, mean: mean, std: std)
            i += 16
        }
        if count % 16 != 0 {
            let tail = p + (count - 16)
            for j in 0..<16 { tail[j] = nextUniform() }
            Self.boxMuller16(tail, mean: mean, std: std)
        }
    }

    /// PyTorch's normal_fill_16: 16 uniforms in, 16 normals out (pairs j, j + 8).
    private static func boxMuller16(_ d: UnsafeMutablePointer<Float>, mean: Float, std: Float) {
        for j in 0..<8 {
            let u1 = 1 - d[j]  // (0, 1] for the log
            let u2 = d[j + 8]
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            let theta = Float(2.0 * Double.pi) * u2
            d[j] = radius * Foundation.cos(theta) * std + mean
            d[j + 8] = radius * Foundation.sin(theta) * std + mean
        }
    }

    /// One standard normal as PyTorch's scalar `normal_distribution<double>` draws it.
    private mutating func nextNormalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = nextUniformDouble(), u2 = nextUniformDouble()
        let r = (-2 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// A random permutation of 0..<n, as `torch.randperm(n, generator=g)` gives it.
    public mutating func randperm(_ n: Int) -> [Int] {
        trapUnless(n >= 0, "randperm: negative count \(n)")
        var r = Array(0..<n)
        r.withUnsafeMutableBufferPointer { a in
            if n < Int(UInt32.max / 20) {
                var i = 0
                while i < n - 1 {
                    let z = Int(random() % UInt32(n - i))
                    a.swapAt(i, z + i)
                    i += 1
                }
            } else {
                for i in 0..<n {
                    let z = Int(random64() % UInt64(i + 1))
                    a[i] = a[z]
                    a[z] = i
                }
            }
        }
        return r
    }

    // MARK: The process-wide generator

    private static let global = Mutex(TorchGenerator(seed: 67_280_421_310_721))

    /// A generator that stands in for the process-wide one within `withSeededDefault`.
    private final class Scoped: Sendable {
        let generator: Mutex<TorchGenerator>
        init(_ generator: TorchGenerator) { self.generator = Mutex(generator) }
    }
    @TaskLocal private static var scoped: Scoped?

    /// Seeds the process-wide generator (`torch.manual_seed`). Layers draw their initial weights from it.
    public static func manualSeed(_ seed: UInt64) { global.withLock { $0 = TorchGenerator(seed: seed) } }

    /// Runs `body` with the process-wide generator (or the one `withSeededDefault` put in its place).
    public static func withDefault<R>(_ body: (inout TorchGenerator) -> R) -> R {
        if let scoped { return scoped.generator.withLock { body(&$0) } }
        return global.withLock { body(&$0) }
    }

    /// Runs `body` (on this thread or task) with a generator seeded with `seed` in place of the
    /// process-wide one: `torch.manual_seed(seed)` followed by `body`, except that draws made by
    /// other threads meanwhile cannot interleave, and the process-wide generator is left as it was.
    public static func withSeededDefault<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(Scoped(TorchGenerator(seed: seed))) { try body() }
    }

    // MARK: Codable (a checkpoint saves the generator to resume a run exactly)

    private enum CodingKeys: String, CodingKey { case words, position, cachedNormal }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let words = try c.decode([UInt32].self, forKey: .words)
        let position = try c.decode(Int.self, forKey: .position)
        guard words.count == Self.stateWords, (0...Self.stateWords).contains(position) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "TorchGenerator state needs \(Self.stateWords) words and a position in 0...\(Self.stateWords), got \(words.count) words, position \(position)"))
        }
        self.words = words
        self.position = position
        cachedNormal = try c.decodeIfPresent(Double.self, forKey: .cachedNormal)
    }
}

extension TorchGenerator: TensorRandomSource {}

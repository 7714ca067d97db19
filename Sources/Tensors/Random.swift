// A seeded pseudo-random generator: xoshiro256** seeded through SplitMix64. Fast, 256 bits of
// state, and reproducible across platforms: the engine's generator for explicit streams (data
// order of random splits, per-sample augmentation, benchmarks). The process-wide generator that
// layers initialise from is PyTorch's (`TorchGenerator`), so seeds mean what they mean there.

import Foundation
import Traps

/// A seeded pseudo-random number generator (xoshiro256**).
public struct RandomGenerator: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The four state words (saved in checkpoints to resume a run exactly).
    @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Restores a generator from saved state words.
    public init(state: [UInt64]) {
        trapUnless(state.count == 4, "RandomGenerator(state:) needs 4 words")
        self.state = (state[0], state[1], state[2], state[3])
    }

    /// The state as four words.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    @inlinable
    public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A standard normal sample (Box–Muller).
    @inlinable
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - nextDouble()  // (0, 1]
        let u2 = nextDouble()
        return Float((-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2))
    }

    public static func == (a: Self, b: Self) -> Bool { a.stateWords == b.stateWords }

    public init(from decoder: any Decoder) throws {
        let words = try [UInt64](from: decoder)
        guard words.count == 4 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "RandomGenerator state needs 4 words"))
        }
        self.init(state: words)
    }

    public func encode(to encoder: any Encoder) throws { try stateWords.encode(to: encoder) }

}


/// A source of random tensor values: `RandomGenerator` (the engine's) or `TorchGenerator`
/// (PyTorch's draws, for initial weights that match PyTorch's for the same seed).
public protocol TensorRandomSource {
    /// A uniform Float in [0, 1).
    mutating func nextUniform() -> Float
    /// Fills `count` floats with uniform values in [low, high).
    mutating func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float)
    /// Fills `count` floats with normal values of the given mean and standard deviation.
    mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float, std: Float)
}

extension RandomGenerator: TensorRandomSource {
    public mutating func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        for i in 0..<count { p[i] = low + (high - low) * nextUniform() }
    }

    public mutating func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float, std: Float) {
        // Box–Muller gives two independent normals per pair of uniforms: use both.
        var i = 0
        while i < count {
            let u1 = 1 - nextUniform()  // (0, 1]
            let u2 = nextUniform()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let theta = 2 * Float.pi * u2
            p[i] = mean + std * r * Foundation.cos(theta)
            if i + 1 < count { p[i + 1] = mean + std * r * Foundation.sin(theta) }
            i += 2
        }
    }
}

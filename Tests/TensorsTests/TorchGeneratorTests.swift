// TorchGenerator reproduces PyTorch's CPU generator: the fixture (Scripts/make_rng_fixtures.py,
// torch 2.15) holds torch's draws after manual_seed — 64-bit integers, uniform_ and normal_ on
// both of its paths, and randperm — and ours must equal them (normal_fill to rounding: PyTorch's
// AVX2 build uses SLEEF's log/sin/cos).

import Foundation
import Testing
import Tensors

@Suite struct TorchGeneratorTests {
    struct Fixture: Decodable {
        struct Uniform: Decodable { let low: Float, high: Float, values: [Float] }
        struct Normal: Decodable { let mean: Float, std: Float, values: [Float] }
        struct Scalar: Decodable { let mean: Float, std: Float, first: [Float], second: [Float] }
        struct Big: Decodable { let first16: [[Int]], checksum: [Int] }
        struct Perms: Decodable {
            let small0: [[Int]], small5: [[Int]], big: Big
            enum CodingKeys: String, CodingKey { case small0 = "10_seed0", small5 = "10_seed5", big = "60000_seed0" }
        }
        let random64: [String]
        let uniform: Uniform
        let normal_fill: Normal
        let normal_scalar: Scalar
        let randperm: Perms
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "torch_rng", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test func integersEqualTorchRandom() {
        var g = TorchGenerator(seed: 0)
        let ours = (0..<4).map { _ in String(g.random64() & (UInt64.max >> 1)) }
        #expect(ours == Self.fixture.random64)
        // Only the low 32 bits of a seed count, as in PyTorch's mt19937.
        var a = TorchGenerator(seed: 7), b = TorchGenerator(seed: 7 + (1 << 32))
        #expect(a.random() == b.random())
    }

    @Test func uniformEqualsTorchBitForBit() {
        let f = Self.fixture.uniform
        var g = TorchGenerator(seed: 0)
        let t = Tensor.uniform([f.values.count], low: f.low, high: f.high, generator: &g)
        #expect(t.scalars == f.values)
    }

    @Test func normalFillEqualsTorchToRounding() {
        let f = Self.fixture.normal_fill
        var g = TorchGenerator(seed: 0)
        let t = Tensor.normal([f.values.count], mean: f.mean, std: f.std, generator: &g).scalars
        // A few ulps (values near 0 come from a cancellation, r·cos θ·std + mean; libm vs SLEEF).
        for (ours, theirs) in zip(t, f.values) { #expect(abs(ours - theirs) <= 1e-6 * max(1, abs(theirs)), "\(ours) vs \(theirs)") }
    }

    @Test func scalarNormalPathCarriesItsCachedSampleOver() {
        let f = Self.fixture.normal_scalar
        var g = TorchGenerator(seed: 0)
        let first = Tensor.normal([f.first.count], mean: f.mean, std: f.std, generator: &g).scalars
        let second = Tensor.normal([f.second.count], mean: f.mean, std: f.std, generator: &g).scalars
        #expect(first == f.first)
        #expect(second == f.second)
        // Reseeding drops the cached sample, as torch.manual_seed does.
        let again = TorchGenerator.withSeededDefault(0) {
            TorchGenerator.withDefault { Tensor.normal([f.first.count], mean: f.mean, std: f.std, generator: &$0).scalars }
        }
        #expect(again == f.first)
    }

    @Test func randpermEqualsTorch() {
        let p = Self.fixture.randperm
        for (seed, expected) in [(UInt64(0), p.small0), (5, p.small5)] {
            var g = TorchGenerator(seed: seed)
            #expect([g.randperm(10), g.randperm(10)] == expected)
        }
        var g = TorchGenerator(seed: 0)
        for e in 0..<2 {
            let perm = g.randperm(60000)
            #expect(Array(perm.prefix(16)) == p.big.first16[e])
            #expect(perm.enumerated().reduce(0) { $0 + $1.offset * $1.element } == p.big.checksum[e])
            #expect(perm.sorted() == Array(0..<60000))
        }
    }

    @Test func stateRoundTripsThroughCodableMidStream() throws {
        var g = TorchGenerator(seed: 3)
        _ = g.randperm(1000)
        var n = [Float](repeating: 0, count: 3)
        n.withUnsafeMutableBufferPointer { g.fillNormal($0.baseAddress!, count: 3, mean: 0, std: 1) }  // leaves a cached normal
        var restored = try JSONDecoder().decode(TorchGenerator.self, from: JSONEncoder().encode(g))
        #expect(restored == g)
        var a = [Float](repeating: 0, count: 5), b = a
        a.withUnsafeMutableBufferPointer { g.fillNormal($0.baseAddress!, count: 5, mean: 0, std: 1) }
        b.withUnsafeMutableBufferPointer { restored.fillNormal($0.baseAddress!, count: 5, mean: 0, std: 1) }
        #expect(a == b)
        #expect(g.randperm(50) == restored.randperm(50))
        // A truncated state is a decoding error, not a crash.
        let bad = Data(#"{"words":[1,2,3],"position":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TorchGenerator.self, from: bad) }
    }
}

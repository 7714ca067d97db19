// Initial weights against PyTorch: after `TorchGenerator.manualSeed(0)`, building small_cnn (the
// model of /work/shared/bench/fashion_torch.py) or resnet18 gives the state dict that
// `torch.manual_seed(0)` then building the torch model gives (Scripts/make_rng_fixtures.py):
// bit for bit where only uniform_ draws (small_cnn: sha256 of every tensor), to float rounding
// where normal_ draws (resnet18's kaiming_normal convs: PyTorch evaluates log/sin/cos with SLEEF).
// torch.rand(4) right after the model must match too: the model drew exactly as often.

import Foundation
import Testing
import Models
import NN
import Tensors

@Suite struct InitParityTests {
    struct Entry: Decodable {
        let name: String, shape: [Int], first: [Float], sum: Double, sum_squares: Double, sha256: String
    }
    struct ModelInit: Decodable { let entries: [Entry], next_uniform: [Float] }
    struct Fixture: Decodable { let small_cnn: ModelInit, resnet18: ModelInit }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "torch_init", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func sha256(_ values: [Float]) -> String {
        var h = SHA256()
        values.withUnsafeBytes { h.update($0) }  // little-endian on every supported machine
        return h.finalize()
    }

    /// Builds `name` right after seeding (a generator seeded for this build alone, so that tests
    /// running in parallel cannot draw in between), and returns its state dict and the next 4 uniforms.
    static func build(_ name: String, inputChannels: Int = 3, numClasses: Int) throws -> ([(name: String, tensor: Tensor)], [Float]) {
        try TorchGenerator.withSeededDefault(0) {
            let model = try Architectures.build(name, numClasses: numClasses, inputChannels: inputChannels)
            return (model.stateDict(), Tensor.rand([4]).scalars)
        }
    }

    @Test func smallCNNEqualsTorchBitForBit() throws {
        let (state, next) = try Self.build("small_cnn", inputChannels: 1, numClasses: 10)
        let expected = Self.fixture.small_cnn
        #expect(state.map(\.name) == expected.entries.map(\.name))
        for (entry, (name, tensor)) in zip(expected.entries, state) {
            #expect(tensor.shape == entry.shape, "\(name)")
            #expect(Array(tensor.scalars.prefix(entry.first.count)) == entry.first, "\(name)")
            #expect(Self.sha256(tensor.scalars) == entry.sha256, "\(name)")
        }
        #expect(next == expected.next_uniform)
    }

    @Test func resnet18EqualsTorchToFloatRounding() throws {
        try Self.expectInitEqualsTorchToFloatRounding("resnet18", Self.fixture.resnet18)
    }

    /// Builds `name` (1000 classes) right after seeding and expects the state dict and the next
    /// draws of `expected` to float rounding (normal_ draws use SLEEF in PyTorch).
    static func expectInitEqualsTorchToFloatRounding(_ name: String, _ expected: ModelInit) throws {
        let (state, next) = try build(name, numClasses: 1000)
        #expect(state.map(\.name) == expected.entries.map(\.name))
        for (entry, (name, tensor)) in zip(expected.entries, state) {
            let values = tensor.scalars
            #expect(tensor.shape == entry.shape, "\(name)")
            for (ours, theirs) in zip(values, entry.first) {
                #expect(abs(ours - theirs) <= 1e-6 * max(1, abs(theirs)), "\(name): \(ours) vs \(theirs)")
            }
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(sum - entry.sum) <= 1e-4 * max(1, abs(entry.sum)), "\(name) sum \(sum) vs \(entry.sum)")
            #expect(abs(squares - entry.sum_squares) <= 1e-5 * max(1, entry.sum_squares), "\(name) Σx² \(squares) vs \(entry.sum_squares)")
        }
        #expect(next == expected.next_uniform)
    }
}

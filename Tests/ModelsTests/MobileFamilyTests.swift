// MobileNetV3, MNASNet and EfficientNet beyond the key and logit parity of ModelParityTests: their
// initialisation against torchvision's after the same seed (Scripts/make_rng_fixtures.py mobile),
// one SGD step in training mode, and EfficientNet's stochastic depth (its linear schedule over the
// blocks, active in training mode, the identity in evaluation mode).

import Foundation
import Testing
import Models
import NN
import Tensors

@Suite struct MobileFamilyTests {
    struct InitFixture: Decodable { let models: [String: InitParityTests.ModelInit] }

    static let initFixture: InitFixture = {
        let url = Bundle.module.url(forResource: "torch_init-mobile", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(InitFixture.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: ["mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0"])
    func initialisationEqualsTorchvisionToFloatRounding(_ name: String) throws {
        let expected = try #require(Self.initFixture.models[name])
        try InitParityTests.expectInitEqualsTorchToFloatRounding(name, expected)
    }

    /// A deterministic batch of `n` images of `size`² pixels.
    static func batch(_ n: Int, size: Int) -> Tensor {
        var g = RandomGenerator(seed: 3)
        return Tensor.normal([n, 3, size, size], generator: &g)
    }

    @Test(arguments: ["mobilenet_v3_small", "efficientnet_b0"])
    func oneSGDStepOnATinyBatch(_ name: String) throws {
        try TorchGenerator.withSeededDefault(1) {
            let model = try Architectures.build(name, numClasses: 4)
            model.train()
            // At 32 px the last stages see 1×1 maps of 4 samples: gradients reach 10³ at initialisation
            // (as in PyTorch), so a larger step would leave eval-mode activations overflowing.
            let optimizer = SGD(model.parameters(), lr: 0.001)
            let before = model.parameters().map(\.value.scalars)
            let loss = crossEntropy(model(Self.batch(4, size: 32)), [0, 1, 2, 3])
            #expect(loss.item().isFinite)
            try loss.backward()
            #expect(model.parameters().allSatisfy { $0.grad.map { $0.scalars.allSatisfy(\.isFinite) } ?? false })
            optimizer.step()
            let after = model.parameters().map(\.value.scalars)
            let changed = zip(before, after).filter { $0 != $1 }.count
            #expect(before.first != after.first && before.last != after.last && changed >= before.count * 9 / 10,
                    "\(changed) of \(before.count) parameters changed")
            model.eval()
            let x = Self.batch(2, size: 32)
            let y = withNoGrad { model(x) }
            #expect(y.shape == [2, 4] && y.scalars.allSatisfy(\.isFinite))
            #expect(withNoGrad { model(x) }.scalars == y.scalars, "evaluation is deterministic")
        }
    }

    /// The blocks of `model` in order, with their stochastic depth.
    static func blocks(_ model: EfficientNet) -> [(name: String, depth: StochasticDepth)] {
        model.namedModules().compactMap { name, m in
            if let b = m as? MBConv { return (name, b.stochasticDepth) }
            if let b = m as? FusedMBConv { return (name, b.stochasticDepth) }
            return nil
        }
    }

    @Test(arguments: [(EfficientNet.Variant.b0, 16), (.b7, 55), (.v2S, 40)])
    func stochasticDepthGrowsLinearlyOverAllBlocks(_ variant: EfficientNet.Variant, blockCount: Int) {
        let model = Init.$skipsRandomDraws.withValue(true) { EfficientNet(variant) }
        let blocks = Self.blocks(model)
        #expect(blocks.count == blockCount)
        for (i, block) in blocks.enumerated() {
            #expect(block.depth.p == Float(0.2 * Double(i) / Double(blockCount)), "\(block.name)")
        }
    }

    @Test func stochasticDepthDropsSamplesInTrainingAndIsTheIdentityInEvaluation() throws {
        // With stochastic_depth_prob 0.5, features.6.3 (block 14 of 16, 192 → 192) drops with p = 0.4375.
        let model = EfficientNet(.b0, stochasticDepthProb: 0.5)
        let block = try #require((model.features[6] as? Sequential)?[3] as? MBConv)
        #expect(block.usesResidual && block.stochasticDepth.p == 0.4375)
        var g = RandomGenerator(seed: 5)
        let n = 16, x = Tensor.normal([n, 192, 4, 4], generator: &g)
        let perSample = 192 * 16
        let residual = withNoGrad { block.train().block(x) }.scalars  // BN on batch statistics: deterministic
        let y = TorchGenerator.withSeededDefault(2) { withNoGrad { block(x) } }.scalars
        var dropped = 0
        for s in 0..<n {
            let range = s * perSample..<(s + 1) * perSample
            let delta = range.map { y[$0] - x.scalars[$0] }
            if delta.allSatisfy({ $0 == 0 }) {
                dropped += 1
            } else {
                let scaled = range.map { residual[$0] / (1 - 0.4375) }
                #expect(zip(delta, scaled).allSatisfy { Swift.abs($0 - $1) <= 1e-4 * Swift.max(1, Swift.abs($1)) },
                        "sample \(s): a surviving branch is scaled by 1/(1 − p)")
            }
        }
        #expect(dropped > 0 && dropped < n, "\(dropped) of \(n) samples dropped")

        block.eval()
        let branch = withNoGrad { block.block(x) }
        #expect(withNoGrad { block(x) }.scalars == (branch + x).scalars)
    }
}

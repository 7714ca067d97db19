// RegNet and ConvNeXt beyond the parity fixtures: the stage tables RegNet computes from its design
// parameters against torchvision's, one SGD step of each family, ConvNeXt's layer scale and
// stochastic-depth schedule, and the truncated-normal initialiser against torch's draws.

import Foundation
import Testing
import Models
import NN
import Tensors

@Suite struct RegNetConvNeXtTests {
    /// `(m as! RegNet).blockParams` of a registered builder, built without random draws.
    static func blockParams(_ name: String) throws -> RegNetBlockParams {
        let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(name) }
        return try #require(model as? RegNet).blockParams
    }

    /// torchvision 0.29's `BlockParams.from_init_params` for these builders (depths, widths, group
    /// widths), printed from Python.
    static let torchvisionTables: [(String, [Int], [Int], [Int])] = [
        ("regnet_x_400mf", [1, 2, 7, 12], [32, 64, 160, 400], [16, 16, 16, 16]),
        // Block width 80·2.25/8 = 22.5 exactly: torch.round takes it to 22 (176 → 168 for groups of 24).
        ("regnet_x_1_6gf", [2, 4, 10, 2], [72, 168, 408, 912], [24, 24, 24, 24]),
        // The first stage's group width is capped at its bottleneck width (80 < 120).
        ("regnet_x_8gf", [2, 5, 15, 1], [80, 240, 720, 1920], [80, 120, 120, 120]),
        ("regnet_y_400mf", [1, 3, 6, 6], [48, 104, 208, 440], [8, 8, 8, 8]),
        ("regnet_y_1_6gf", [2, 6, 17, 2], [48, 120, 336, 888], [24, 24, 24, 24]),
        ("regnet_y_128gf", [2, 7, 17, 1], [528, 1056, 2904, 7392], [264, 264, 264, 264]),
    ]

    @Test func regNetTablesEqualTorchvisionsConstants() throws {
        for (name, depths, widths, groupWidths) in Self.torchvisionTables {
            let p = try Self.blockParams(name)
            #expect(p.depths == depths && p.widths == widths && p.groupWidths == groupWidths, "\(name): \(p)")
            #expect(p.strides == [2, 2, 2, 2] && p.bottleneckMultipliers == [1, 1, 1, 1], "\(name)")
            #expect(p.seRatio == (name.hasPrefix("regnet_y") ? 0.25 : nil), "\(name)")
        }
    }

    /// Every RegNet's tables read back from torchvision's state-dict shapes: the blocks of stage s
    /// are the `trunk_output.block<s>.block<s>-<i>` keys, the stage width is `f.c.0.weight`'s output
    /// channels, the group width `f.b.0.weight`'s input channels per group, the squeeze width of Y
    /// `f.se.fc1.weight`'s output channels (a quarter of the block's input width).
    @Test func everyRegNetsTablesEqualTheFixtureShapes() throws {
        let names = ModelFixtures.architectures.keys.filter { $0.hasPrefix("regnet_") }.sorted()
        #expect(names.count == 15)
        for name in names {
            let shapes = Dictionary(uniqueKeysWithValues: ModelFixtures.architectures[name]!.map { ($0.0, $0.1) })
            var depths: [Int] = [], widths: [Int] = [], groupWidths: [Int] = []
            var previous = 32
            for stage in 1... {
                let prefix = "trunk_output.block\(stage).block\(stage)-"
                let blocks = (0...).prefix(while: { shapes["\(prefix)\($0).f.a.0.weight"] != nil }).count
                guard blocks > 0 else { break }
                depths.append(blocks)
                widths.append(shapes["\(prefix)0.f.c.0.weight"]![0])
                groupWidths.append(shapes["\(prefix)0.f.b.0.weight"]![1])
                if let se = shapes["\(prefix)0.f.se.fc1.weight"] { #expect(se[0] == previous / 4, "\(name) stage \(stage)") }
                previous = widths.last!
            }
            let p = try Self.blockParams(name)
            #expect(p.depths == depths && p.widths == widths && p.groupWidths == groupWidths,
                    "\(name): \(p.depths) \(p.widths) \(p.groupWidths) vs torchvision \(depths) \(widths) \(groupWidths)")
        }
    }

    /// One SGD step on a batch of 2 small images in training mode (BatchNorm batch statistics,
    /// stochastic depth active): finite gradients everywhere, the parameters move, and evaluation
    /// is deterministic. RegNet gets 64 px: at 32 px its last stage is 1×1, its BNs normalise 2
    /// values per channel and the gradients explode (~1e7 in PyTorch too).
    @Test(arguments: [("regnet_y_400mf", 64), ("convnext_tiny", 32)])
    func oneSGDStepTrains(_ name: String, size: Int) throws {
        let model = try TorchGenerator.withSeededDefault(0) { try Architectures.build(name, numClasses: 10) }
        var g = RandomGenerator(seed: 3)
        let x = Tensor.uniform([2, 3, size, size], low: -1, high: 1, generator: &g)
        let parameters = model.namedParameters()
        let before = parameters.map { $0.parameter.value.scalars }
        let optimizer = SGD(model.parameters(), lr: 0.1, momentum: 0.9)
        model.train()
        let loss = crossEntropy(model(x), [3, 7])
        #expect(loss.item().isFinite)
        try loss.backward()
        optimizer.step()
        // Every parameter gets a finite, non-zero gradient. (ConvNeXt's block LayerNorm weights, 1
        // and behind a layer scale of 1e-6, move by less than a Float step at 1: `changed` omits them.)
        let noGradient = parameters.filter { p in !(p.parameter.grad?.scalars.contains { $0 != 0 } ?? false) }.map(\.name)
        #expect(noGradient.isEmpty, "\(name): no gradient for \(noGradient.prefix(5))")
        let largest = parameters.map { $0.parameter.grad?.scalars.map { Swift.abs($0) }.max() ?? .nan }.max()!
        #expect(largest.isFinite && largest < 1e4, "\(name): largest gradient \(largest)")
        let changed = zip(parameters, before).filter { $0.0.parameter.value.scalars != $0.1 }.map(\.0.name)
        #expect(changed.count > parameters.count * 3 / 4 && changed.contains(parameters.last!.name), "\(name): \(changed.count) of \(parameters.count) changed")
        model.eval()
        let (a, b) = withNoGrad { (model(x), model(x)) }
        #expect(a.shape == [2, 10])
        #expect(a.scalars.allSatisfy { $0.isFinite }, "\(name): \(a.scalars)")
        #expect(a.scalars == b.scalars)
    }

    /// Each ConvNeXt's blocks in order: stochastic depth rate · i / (blocks − 1) (0 at the first
    /// block, the builder's rate at the last), `layer_scale` [C, 1, 1] filled with 1e-6.
    @Test(arguments: [("convnext_tiny", 0.1, 18), ("convnext_small", 0.4, 36), ("convnext_base", 0.5, 36), ("convnext_large", 0.5, 36)])
    func stochasticDepthGrowsLinearlyOverTheBlocks(_ name: String, rate: Double, blocks: Int) throws {
        let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(name) }
        let cnBlocks = model.namedModules().compactMap { $0.module as? CNBlock }
        #expect(cnBlocks.count == blocks)
        for (i, block) in cnBlocks.enumerated() {
            #expect(block.stochasticDepth.p == Float(rate * Double(i) / Double(blocks - 1)), "\(name) block \(i)")
            #expect(block.stochasticDepth.mode == .row)
            let channels = (block.block[0] as! Conv2d).outChannels
            #expect(block.layerScale.shape == [channels, 1, 1])
            #expect(block.layerScale.value.scalars.allSatisfy { $0 == Float(1e-6) })
        }
        #expect(cnBlocks.first?.stochasticDepth.p == 0 && cnBlocks.last?.stochasticDepth.p == Float(rate))
    }

    /// A CNBlock is x + layer_scale · block(x) in evaluation; in training stochastic depth keeps each
    /// sample's branch (scaled by 1/(1 − p)) or drops it, and p = 1 leaves the input.
    @Test func cnBlockScalesItsBranchAndDropsWholeSamples() throws {
        let dim = 8
        var g = RandomGenerator(seed: 5)
        let x = Tensor.uniform([64, dim, 5, 5], low: -1, high: 1, generator: &g)
        let scale = Tensor.uniform([dim, 1, 1], low: 0.5, high: 2, generator: &g)
        let block = CNBlock(dim, layerScale: 1e-6, stochasticDepthProb: 0.5)
        #expect(block.stateDict().map(\.name).prefix(2) == ["layer_scale", "block.0.weight"])
        block.layerScale.value = scale
        block.eval()
        let branch = withNoGrad { block.block(x) }
        #expect(branch.shape == x.shape)
        let expected = (x + scale * branch).scalars
        let y = withNoGrad { block(x) }.scalars
        #expect(zip(y, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-6 })

        block.train()
        let trained = withNoGrad { block(x) }.scalars
        let (xs, twice) = (x.scalars, (x + 2 * scale * branch).scalars)
        let perSample = dim * 25
        var kept = 0
        for n in 0..<64 {
            let range = n * perSample..<(n + 1) * perSample
            let dropped = range.allSatisfy { trained[$0] == xs[$0] }
            let keptScaled = range.allSatisfy { Swift.abs(trained[$0] - twice[$0]) <= 1e-5 }
            #expect(dropped != keptScaled, "sample \(n)")
            if keptScaled { kept += 1 }
        }
        #expect(kept > 16 && kept < 48, "\(kept) of 64 kept at p = 0.5")

        let alwaysDropped = CNBlock(dim, layerScale: 1, stochasticDepthProb: 1)
        #expect(withNoGrad { alwaysDropped(x) }.scalars == xs)
    }

    /// `Init.truncatedNormal` after `torch.manual_seed(0)` against `torch.nn.init.trunc_normal_` on
    /// 64 values (first 8 compared, then the next `torch.rand(1)`, so the draw count matches):
    /// ConvNeXt's std 0.02 in ±2, a [−1, 1] cut that redraws, and [2, 3] (rejection sampling).
    @Test(arguments: [
        (0, 0.02, -2, 2, [-0.0225167964, -0.0230472032, -0.00501157157, -0.00867757574, 0.016974207, 0.0138401827,
                          -0.00632025534, -0.0423043855], 0.7744860053062439),
        (0, 1, -1, 1, [-0.56924808, 0.919971406, -0.250578582, -0.433878809, 0.848710358, 0.692009151, -0.31601277,
                       0.335550755], 0.5228014588356018),
        (0, 1, 2, 3, [2.32508326, 2.09018922, 2.08847737, 2.13203049, 2.17426705, 2.54419923, 2.49009347, 2.18122649],
         0.12649822235107422),
    ] as [(Float, Float, Float, Float, [Float], Float)])
    func truncatedNormalDrawsAsTorch(_ mean: Float, std: Float, a: Float, b: Float, first: [Float], nextUniform: Float) {
        let (values, next) = TorchGenerator.withSeededDefault(0) {
            let t = TorchGenerator.withDefault { Init.truncatedNormal([64], mean: mean, std: std, a: a, b: b, generator: &$0) }
            return (t.scalars, Tensor.rand([1]).item())
        }
        #expect(values.allSatisfy { $0 >= a && $0 <= b })
        for (ours, theirs) in zip(values, first) { #expect(Swift.abs(ours - theirs) <= 1e-6 * Swift.max(1, Swift.abs(theirs))) }
        #expect(next == nextUniform)
    }
}

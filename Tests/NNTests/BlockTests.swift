// The building blocks of the efficient families: squeeze-and-excitation (torchvision's keys, the
// value of its definition), stochastic depth (identity in evaluation, whole samples dropped and
// the rest rescaled in training) and ShuffleNet's channel shuffle (torchvision's permutation).

import Testing
import NN
import Tensors

@Suite struct BlockTests {
    @Test func squeezeExcitationHasTorchvisionsKeysAndDefinition() {
        let se = SqueezeExcitation(8, 2, activation: SiLU(), scaleActivation: Hardsigmoid())
        #expect(se.stateDict().map { "\($0.name) \($0.tensor.shape)" }
            == ["fc1.weight [2, 8, 1, 1]", "fc1.bias [2]", "fc2.weight [8, 2, 1, 1]", "fc2.bias [8]"])
        var g = RandomGenerator(seed: 10)
        let x = Tensor.uniform([2, 8, 5, 3], low: -2, high: 2, generator: &g)
        let pooled = x.adaptiveAvgPool2d((1, 1))
        let hidden = Tensor.conv2d(pooled, weight: se.fc1.weight.value, bias: se.fc1.bias?.value).silu()
        let scale = Tensor.conv2d(hidden, weight: se.fc2.weight.value, bias: se.fc2.bias?.value).hardsigmoid()
        let expected = (scale * x).scalars
        let y = se(x)
        #expect(y.shape == x.shape)
        for (a, b) in zip(y.scalars, expected) { #expect(Swift.abs(a - b) <= 1e-6) }
    }

    @Test func stochasticDepthDropsWholeSamplesInTrainingOnly() throws {
        var g = RandomGenerator(seed: 11)
        let x = Tensor.uniform([400, 3, 2, 2], low: 1, high: 2, generator: &g)
        let drop = StochasticDepth(p: 0.25)
        #expect(drop.summary == "StochasticDepth(p=0.25, mode=row)")
        drop.eval()
        #expect(drop(x).scalars == x.scalars)
        drop.train()
        let y = drop(x).scalars, xs = x.scalars
        var kept = 0
        for sample in 0..<400 {
            let ratios = (0..<12).map { y[sample * 12 + $0] / xs[sample * 12 + $0] }
            #expect(ratios.allSatisfy { $0 == 0 } || ratios.allSatisfy { Swift.abs($0 - 1 / 0.75) < 1e-6 }, "sample \(sample)")
            if ratios[0] != 0 { kept += 1 }
        }
        #expect(kept > 260 && kept < 340, "\(kept) of 400 kept at p = 0.25")
        // Batch mode: one draw for everything; p = 1 drops all; p = 0 is the identity.
        var batch = RandomGenerator(seed: 12)
        let whole = x.stochasticDepth(p: 0.5, mode: .batch, training: true, generator: &batch).scalars
        #expect(whole.allSatisfy { $0 == 0 } || zip(whole, xs).allSatisfy { Swift.abs($0 - 2 * $1) < 1e-5 })
        #expect(x.stochasticDepth(p: 1, mode: .row, training: true, generator: &batch).scalars.allSatisfy { $0 == 0 })
        #expect(x.stochasticDepth(p: 0, mode: .row, training: true, generator: &batch).scalars == xs)
    }

    @Test func stochasticDepthGradientFollowsTheMask() throws {
        var g = RandomGenerator(seed: 13)
        let x = Tensor.uniform([50, 4], low: -1, high: 1, generator: &g).requiringGrad()
        var draws = RandomGenerator(seed: 14)
        let y = x.stochasticDepth(p: 0.5, mode: .row, training: true, generator: &draws)
        try y.sum().backward()
        let grad = try #require(x.grad).scalars, ys = y.scalars
        for i in 0..<200 { #expect(grad[i] == (ys[i] == 0 && x.scalars[i] != 0 ? 0 : 2)) }
    }

    @Test func channelShuffleIsTorchvisionsPermutation() throws {
        // torchvision: x.view(n, groups, C/groups, h, w).transpose(1, 2).reshape(n, C, h, w), so new
        // channel i·groups + g holds old channel g·(C/groups) + i: for C = 6, groups 2: 0 3 1 4 2 5.
        let x = Tensor(shape: [1, 6, 1, 2], data: (0..<12).map(Float.init)).requiringGrad()
        let y = x.channelShuffle(groups: 2)
        #expect(y.shape == [1, 6, 1, 2])
        #expect(y.scalars == [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11])
        #expect(Tensor(shape: [1, 6], data: (0..<6).map(Float.init)).channelShuffle(groups: 3).scalars == [0, 2, 4, 1, 3, 5])
        // The gradient goes back through the inverse permutation.
        try (y * Tensor(shape: [1, 6, 1, 2], data: (0..<12).map(Float.init))).sum().backward()
        #expect(try #require(x.grad).scalars == [0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11])
    }
}

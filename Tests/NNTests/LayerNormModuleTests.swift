// LayerNorm and LayerNorm2d as modules: PyTorch's printed names and state-dict keys, the functional
// form they apply (whose values and gradients OpParityTests checks against PyTorch), and that
// LayerNorm2d is LayerNorm over the channels of each pixel.

import Testing
import NN
import Tensors

@Suite struct LayerNormModuleTests {
    @Test func namesKeysAndShapes() {
        let norm = LayerNorm([4])
        #expect(norm.summary == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)")
        #expect(norm.stateDict().map(\.name) == ["weight", "bias"])
        #expect(LayerNorm([2, 3], elementwiseAffine: false).summary == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False)")
        #expect(LayerNorm([2, 3], elementwiseAffine: false).stateDict().isEmpty)
        #expect(LayerNorm([5], bias: false).stateDict().map(\.name) == ["weight"])
        let norm2d = LayerNorm2d(96)
        #expect(norm2d.summary == "LayerNorm2d((96,), eps=1e-06, elementwise_affine=True)")
        #expect(norm2d.stateDict().map { "\($0.name) \($0.tensor.shape)" } == ["weight [96]", "bias [96]"])
    }

    @Test func layerNorm2dIsLayerNormOverEachPixelsChannels() {
        var g = RandomGenerator(seed: 8)
        let x = Tensor.uniform([2, 5, 3, 4], low: -2, high: 3, generator: &g)
        let weight = Tensor.uniform([5], generator: &g), bias = Tensor.uniform([5], generator: &g)
        let direct = Tensor.layerNorm2d(x, weight: weight, bias: bias, eps: 1e-6)
        let channelsLast = Tensor.layerNorm(x.permute([0, 2, 3, 1]).contiguous(), normalizedShape: [5], weight: weight,
                                            bias: bias, eps: 1e-6).permute([0, 3, 1, 2])
        for (a, b) in zip(direct.scalars, channelsLast.scalars) { #expect(Swift.abs(a - b) <= 1e-5) }
        // Each pixel's channels have mean β̄ (γ·0 + β averaged) when γ = 1: here mean 0, variance 1.
        let plain = Tensor.layerNorm2d(x)
        let values = plain.scalars
        for pixel in 0..<12 {
            let column = (0..<5).map { values[$0 * 12 + pixel] }
            let mean = column.reduce(0, +) / 5
            #expect(Swift.abs(mean) < 1e-5)
            #expect(Swift.abs(column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5 - 1) < 1e-3)
        }
    }

    @Test func modulesApplyTheirParameters() throws {
        var g = RandomGenerator(seed: 9)
        let x = Tensor.uniform([3, 4], low: -1, high: 1, generator: &g).requiringGrad()
        let norm = LayerNorm([4])
        try norm(x).sum().backward()
        // Σ over a normalised row is β's sum (0): the input gradient of a sum through LayerNorm is 0.
        #expect(try #require(x.grad).scalars.allSatisfy { Swift.abs($0) < 1e-5 })
        #expect(try #require(norm.bias?.value.grad).scalars == [3, 3, 3, 3])
    }
}

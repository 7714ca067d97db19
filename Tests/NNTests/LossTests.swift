// Losses against PyTorch (Fixtures/losses.json): forward values and input gradients for class
// weights, label smoothing, ignore_index, every reduction, spatial and probability targets.

import Foundation
import Testing
import NN
import Tensors

@Suite struct LossTests {
    @Test(arguments: OptimFixtures.lossCases)
    func matchesPyTorch(_ c: OptimFixtures.LossCase) throws {
        let x = c.input.tensor.requiringGrad()
        let target = c.target.tensor
        let reduction = Reduction(rawValue: c.args["reduction"]!.string)!
        let weight = c.args["weight"]?.tensor
        let ignore = c.args["ignoreIndex"]?.int ?? -100
        let out: Tensor
        switch c.kind {
        case "cross_entropy":
            out = crossEntropy(x, target, weight: weight, ignoreIndex: ignore, reduction: reduction,
                               labelSmoothing: Float(c.args["labelSmoothing"]?.double ?? 0))
        case "nll": out = nllLoss(x, target, weight: weight, ignoreIndex: ignore, reduction: reduction)
        case "mse": out = mseLoss(x, target, reduction: reduction)
        default: Issue.record("unknown kind \(c.kind)"); return
        }
        #expect(out.shape == c.output.shape)
        let fwd = OptimFixtures.maxRelativeError(out.scalars, c.output.data, floor: 1e-6)
        #expect(fwd < 1e-5, "forward relative error \(fwd)")
        try out.backward(gradient: c.gradOutput.tensor)
        let grad = try #require(x.grad)
        let bwd = OptimFixtures.maxRelativeError(grad.scalars, c.gradInput.data, floor: 1e-5)
        #expect(bwd < 1e-4, "gradient relative error \(bwd)")
    }

    @Test func integerTargetsAndLossObjectsAgreeWithTensorTargets() {
        let logits = Tensor(shape: [3, 4], data: [0.1, 2, -1, 0.5, 1, 1, 1, 1, -2, 0, 3, 0.2])
        let a = crossEntropy(logits, [1, 3, 2], labelSmoothing: 0.1).item()
        let b = crossEntropy(logits, Tensor([1, 3, 2]), labelSmoothing: 0.1).item()
        let c = CrossEntropyLoss(labelSmoothing: 0.1)(logits, [1, 3, 2]).item()
        #expect(a == b && b == c)
        let nll = NLLLoss()(logits.logSoftmax(dim: 1), [1, 3, 2]).item()
        #expect(Swift.abs(nll - crossEntropy(logits, [1, 3, 2]).item()) < 1e-6)
        // Hand-computed: row 1 is uniform over 4 classes, so its loss is log 4.
        let perSample = crossEntropy(logits, [1, 3, 2], reduction: .none).scalars
        #expect(Swift.abs(perSample[1] - Float(Foundation.log(4.0))) < 1e-6)
        #expect(MSELoss(reduction: .sum)(Tensor([1, 2]), Tensor([0, 4])).item() == 5)
    }

    @Test func ignoredSamplesGetNoGradient() throws {
        let logits = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]).requiringGrad()
        try crossEntropy(logits, [2, -100], labelSmoothing: 0.3).backward()
        let g = try #require(logits.grad).scalars
        #expect(g[3...].allSatisfy { $0 == 0 })
        #expect(g[..<3].contains { $0 != 0 })
    }
}

// FLOPCounter counts the products a forward actually runs: a hand count for a small stack of
// layers (grouped conv, plain conv, linear, batched matmul), and whole models at 224² against
// torchvision's published operation counts (`weights.meta["_ops"]`, GMACs: half our FLOPs) for
// families the old shape walk got wrong (efficientnet's squeeze-excitation, convnext's
// channels-last MLPs) beside resnet18.

import Testing
import SwiftVision

@Suite struct FLOPCountTests {
    @Test func countsEveryProductOnce() {
        var g = RandomGenerator(seed: 3)
        let x = Tensor.uniform([2, 4, 9, 9], low: -1, high: 1, generator: &g)
        let w1 = Tensor.uniform([8, 2, 3, 3], low: -1, high: 1, generator: &g)  // groups 2, stride 2, pad 1 → 5×5
        let w2 = Tensor.uniform([6, 8, 1, 1], low: -1, high: 1, generator: &g)
        let lw = Tensor.uniform([10, 150], low: -1, high: 1, generator: &g)
        let (out, flops) = FLOPCounter.count {
            let y = Tensor.conv2d(x, weight: w1, stride: (2, 2), padding: (1, 1), groups: 2)
            let z = Tensor.conv2d(y, weight: w2).relu()
            let logits = Tensor.linear(z.reshape([2, 150]), weight: lw)
            return logits.reshape([2, 2, 5]).matmul(logits.reshape([2, 5, 2]))
        }
        #expect(out.shape == [2, 2, 2])
        let conv1 = 2.0 * 2 * 8 * (2 * 3 * 3) * 25, conv2 = 2.0 * 2 * 6 * 8 * 25
        let linear = 2.0 * 2 * 150 * 10, matmul = 2.0 * 2 * (2 * 2 * 5)
        #expect(flops == conv1 + conv2 + linear + matmul)
        // A nested scope counts its own products and the enclosing one only its own.
        let y2 = Tensor.uniform([2, 8, 5, 5], low: -1, high: 1, generator: &g)
        let (inner, outer) = FLOPCounter.count { () -> Double in
            let inner = FLOPCounter.count { Tensor.conv2d(y2, weight: w2) }.flops
            _ = Tensor.conv2d(y2, weight: w2)
            return inner
        }
        #expect(inner == conv2 && outer == conv2)
    }

    @Test(arguments: [("resnet18", 1.814), ("efficientnet_b0", 0.386), ("convnext_tiny", 4.456), ("mobilenet_v3_small", 0.057)])
    func modelCountsMatchTorchvisionsOps(_ name: String, _ gmacs: Double) throws {
        let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(name) }
        model.eval()
        let x = Tensor.zeros([1, 3, 224, 224])
        let flops = FLOPCounter.count { withNoGrad { model(x) } }.flops
        let expected = 2e9 * gmacs
        #expect(Swift.abs(flops - expected) <= 0.01 * expected, "\(name): \(flops / 1e9) GFLOP, torchvision \(2 * gmacs)")
    }
}

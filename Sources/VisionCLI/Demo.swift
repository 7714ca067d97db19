// `vision demo`: the built-in default job.
import ArgumentParser
import Foundation
import SwiftVision

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the built-in demo: train a small classifier with autograd and report its accuracy.",
        discussion: """
            For now the demo exercises the tensor engine: a two-layer network learns to separate two
            interleaved spirals (synthetic, seeded) with plain SGD. It grows into the image-folder
            training demo as the image and model layers land.
            """)

    @Option(help: "Training steps.") var steps = 3000
    @Option(help: "Random seed.") var seed: UInt64 = 7

    func run() throws {
        var g = RandomGenerator(seed: seed)
        let (x, y) = twoSpirals(pointsPerClass: 200, generator: &g)
        let hidden = 128
        var w1 = (Tensor.normal([hidden, 2], generator: &g) * 4).requiringGrad()
        var b1 = (Tensor.normal([hidden], generator: &g) * 2).requiringGrad()
        var w2 = (Tensor.normal([2, hidden], generator: &g) * 0.1).requiringGrad()
        var b2 = Tensor.zeros([2]).requiringGrad()
        let oneHot = Tensor.stack([1 - y, y], dim: 1)
        let lr: Float = 0.3
        print("two spirals: \(x.shape[0]) points, MLP 2→\(hidden)→2, SGD lr \(lr), \(steps) steps")
        for step in 0...steps {
            let h = Tensor.linear(x, weight: w1, bias: b1).tanh()
            let logits = Tensor.linear(h, weight: w2, bias: b2)
            let loss = -(logits.logSoftmax(dim: 1) * oneHot).sum(dim: 1).mean()
            if step % 500 == 0 {
                let accuracy = logits.argmax(dim: 1).eq(y).mean().item()
                print(String(format: "step %4d  loss %.4f  accuracy %.1f%%", step, loss.item(), accuracy * 100))
            }
            if step == steps { break }
            try loss.backward()
            withNoGrad {
                w1 -= w1.grad! * lr; b1 -= b1.grad! * lr
                w2 -= w2.grad! * lr; b2 -= b2.grad! * lr
            }
            for p in [w1, b1, w2, b2] { p.zeroGrad() }
        }
    }

    /// Two interleaved spirals in the plane with labels 0 and 1.
    func twoSpirals(pointsPerClass n: Int, generator g: inout RandomGenerator) -> (Tensor, Tensor) {
        var points: [Float] = [], labels: [Float] = []
        for cls in 0..<2 {
            for i in 0..<n {
                let r = Float(i) / Float(n) * 5
                let t = Float(i) / Float(n) * 3.5 * .pi + Float(cls) * .pi
                points += [r * cos(t) / 5 + 0.05 * g.nextNormal(), r * sin(t) / 5 + 0.05 * g.nextNormal()]
                labels.append(Float(cls))
            }
        }
        return (Tensor(shape: [2 * n, 2], data: points), Tensor(labels))
    }
}

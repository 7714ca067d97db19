// The training loss of models with auxiliary classifiers: main + 0.4 · Σ aux (googlenet's aux1 and
// aux2, inception_v3's AuxLogits), computed on the training-mode outputs; accuracy from the main
// logits alone. Dropout is off so a twin model with the same weights gives the same outputs.

import Foundation
import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct AuxiliaryLossTests {
        /// The Trainer's first-step loss on `batch`, and the loss a twin computes by hand.
        func losses(_ architecture: String, _ make: () -> Module, input: Tensor, labels: [Int]) throws -> (trainer: Float, main: Float, expected: Float) {
            let model = TorchGenerator.withSeededDefault(0) { make() }
            let twin = TorchGenerator.withSeededDefault(0) { make() }
            twin.train()
            let out = try #require(twin as? AuxiliaryClassifiers).logitsWithAuxiliary(input)
            #expect(!out.auxiliary.isEmpty)
            let main = crossEntropy(out.logits, labels).item()
            let aux = out.auxiliary.map { crossEntropy($0, labels).item() }.reduce(0, +)
            let shape = Array(input.shape.dropFirst())
            let source = ToyBatchSource(images: input.scalars, labels: labels, sampleShape: shape, classes: ["a", "b", "c"],
                                        batchSize: labels.count, shuffle: false)
            let spec = ModelSpec(architecture: architecture, classNames: ["a", "b", "c"],
                                 preprocessing: ImageClassificationPreset(cropSize: shape[1], resizeSize: shape[1]))
            let trainer = try Trainer(model: model, spec: spec, config: TrainingConfig(epochs: 1, batchSize: labels.count, lr: 0.01))
            var stepLosses: [Float] = []
            _ = try trainer.fit(train: source, reporter: CallbackReporter { if case .step(let s) = $0 { stepLosses.append(s.loss) } })
            return (try #require(stepLosses.first), main, main + Trainer.auxiliaryLossWeight * aux)
        }

        @Test func googLeNetTrainsOnMainPlusPointFourTimesBothAuxiliaryLosses() throws {
            var g = RandomGenerator(seed: 3)
            let x = Tensor.uniform([2, 3, 64, 64], low: -1, high: 1, generator: &g)
            let (trainer, main, expected) = try losses("googlenet", { GoogLeNet(numClasses: 3, dropout: 0, dropoutAux: 0) }, input: x, labels: [0, 2])
            #expect(Trainer.auxiliaryLossWeight == 0.4)
            #expect(Swift.abs(trainer - expected) <= 1e-5 * expected, "trainer \(trainer), main + 0.4·(aux1 + aux2) \(expected)")
            #expect(Swift.abs(trainer - main) > 1e-3, "the auxiliary terms are missing: \(trainer) vs main \(main)")
        }

        @Test func inceptionV3TrainsOnMainPlusPointFourTimesTheAuxiliaryLoss() throws {
            var g = RandomGenerator(seed: 4)
            let x = Tensor.uniform([2, 3, 299, 299], low: -1, high: 1, generator: &g)
            let (trainer, main, expected) = try losses("inception_v3", { InceptionV3(numClasses: 3, dropout: 0) }, input: x, labels: [1, 0])
            #expect(Swift.abs(trainer - expected) <= 1e-5 * expected, "trainer \(trainer), main + 0.4·aux \(expected)")
            #expect(Swift.abs(trainer - main) > 1e-3, "the auxiliary term is missing: \(trainer) vs main \(main)")
        }
    }
}

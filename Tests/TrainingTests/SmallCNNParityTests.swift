// small_cnn against PyTorch (Scripts/make_training_fixtures.py): state-dict keys and shapes, logits
// with formula weights, and whole short training runs through the Trainer (SGD + StepLR with label
// smoothing, AdamW + OneCycleLR stepped per batch, SGD + linear warm-up + cosine).

import Foundation
import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct SmallCNNParity {
        @Test func keysAndShapesMatchPyTorch() throws {
            let model = try Architectures.build("small_cnn", numClasses: 10, inputChannels: 1)
            let expected = SmallCNNFixture.shared.keys.map { pair -> (String, [Int]) in
                guard case .key(let k) = pair[0], case .shape(let s) = pair[1] else { fatalError("bad fixture") }
                return (k, s)
            }
            let actual = model.stateDict().map { ($0.name, $0.tensor.shape) }
            #expect(actual.map(\.0) == expected.map(\.0))
            #expect(actual.map(\.1) == expected.map(\.1))
            #expect(actual.map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"])
            #expect(Architectures.names.contains("small_cnn"))
        }

        @Test func logitsMatchPyTorchWithFormulaWeights() throws {
            for c in SmallCNNFixture.shared.logits {
                let model = try Architectures.build("small_cnn", numClasses: c.classes, inputChannels: c.channels)
                try fillWithFormula(model)
                model.eval()
                let y = withNoGrad { model(formulaInput(2, c.channels, offset: 0)) }
                #expect(y.shape == [2, c.classes])
                #expect(maxRelativeError(y.scalars, c.logits) <= 1e-4, "channels \(c.channels)")
            }
        }

        @Test func otherArchitecturesRefuseOtherChannelCounts() {
            let error = #expect(throws: UnsupportedInputChannels.self) { try Architectures.build("resnet18", numClasses: 10, inputChannels: 1) }
            #expect("\(message(error))" == "model 'resnet18' takes 3 input channels, not 1 (architectures for other channel counts: small_cnn)")
            #expect(throws: UnknownArchitecture.self) { try Architectures.build("small_cnnn", numClasses: 10) }
        }

        @Test(arguments: SmallCNNFixture.shared.training)
        func trainingStepsMatchPyTorch(_ run: SmallCNNFixture.Run) throws {
            let spec = smallCNNSpec(classes: run.classes)
            let model = try spec.makeModel()
            try fillWithFormula(model)
            var config = TrainingConfig(epochs: run.epochs, batchSize: run.batchSize, lr: run.lr, labelSmoothing: run.labelSmoothing)
            switch run.name {
            case "sgd_step":
                config.optimizer = .sgd; config.weightDecay = 1e-4; config.scheduler = .step; config.stepSize = 1; config.gamma = 0.5
            case "adamw_onecycle":
                config.optimizer = .adamw; config.scheduler = .onecycle
            case "sgd_warmup_cosine":
                config.optimizer = .sgd; config.scheduler = .cosine; config.warmupEpochs = 1
            default:
                Issue.record("unknown fixture run \(run.name)"); return
            }
            let trainer = try Trainer(model: model, spec: spec, config: config)
            var losses: [Float] = []
            let result = try trainer.fit(train: FormulaBatchSource(batches: run.batches, batchSize: run.batchSize, classes: run.classes),
                                         reporter: CallbackReporter { if case .step(let s) = $0 { losses.append(s.loss) } })
            #expect(result.status == .completed && result.steps == run.epochs * run.batches)
            #expect(maxRelativeError(losses, run.losses) <= 1e-4, "losses \(losses) vs \(run.losses)")
            if run.scheduler != "onecycle" {
                let lrs = result.history.map(\.lr)
                #expect(zip(lrs, run.lrAfterEpoch).allSatisfy { abs($0 - $1) <= 1e-12 * $1 }, "lr per epoch \(lrs) vs \(run.lrAfterEpoch)")
            }
            #expect(maxRelativeError(try #require(weights(model)["9.weight"]), run.lastWeight) <= 1e-4)
            model.eval()
            let y = withNoGrad { model(formulaInput(2, 1, offset: 0.7)) }
            #expect(maxRelativeError(y.scalars, run.logits) <= 1e-4)
        }
    }
}

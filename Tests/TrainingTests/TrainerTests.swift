// The training loop end to end on a toy set: the loss falls, the accuracy reaches a stated level,
// metrics land in the JSON Lines file, progress events arrive in order, and the checkpoint alone
// rebuilds the model for evaluation.

import Foundation
import Testing
import SwiftVision

extension TrainingTests {
    @Suite struct TrainerLoop {
        @Test func smallCNNLearnsTheQuadrantsAndLogsMetrics() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let train = quadrantSource(count: 128, seed: 1, batchSize: 16)
            let val = quadrantSource(count: 64, seed: 2, batchSize: 32, shuffle: false)
            let spec = smallCNNSpec()
            let config = TrainingConfig(epochs: 3, batchSize: 16, lr: 0.02, scheduler: .cosine, seed: 7)
            let trainer = try Trainer(model: try spec.makeModel(seed: 7), spec: spec, config: config,
                                      checkpointPath: dir.file("run.safetensors"), metricsPath: dir.file("metrics.jsonl"))
            var events: [String] = []
            var stepLosses: [Float] = []
            let result = try trainer.fit(train: train, validation: val, reporter: CallbackReporter { event in
                switch event {
                case .started: events.append("started")
                case .step(let s): stepLosses.append(s.loss)
                case .validating: events.append("validating")
                case .epochFinished(let m): events.append("epoch \(m.epoch)")
                case .checkpointSaved: events.append("saved")
                case .finished: events.append("finished")
                }
            })
            #expect(result.status == .completed && result.exitCode == 0)
            #expect(result.steps == 3 * 8 && stepLosses.count == 24)
            #expect(events == ["started"] + (1...3).flatMap { ["validating", "epoch \($0)", "saved"] } + ["finished"])
            let history = result.history
            try #require(history.map(\.epoch) == [1, 2, 3])
            #expect(history[2].trainLoss < 0.5 * history[0].trainLoss, "train loss \(history.map(\.trainLoss))")
            #expect(history[2].valAccuracy1 ?? 0 >= 0.95, "val top-1 \(history.map { $0.valAccuracy1 ?? 0 })")
            #expect(history[2].valAccuracy5 == 1, "4 classes: top-5 is clamped to top-4, always right")
            #expect(history.allSatisfy { $0.imagesPerSecond > 0 && $0.seconds > 0 })
            // Cosine over 3 epochs: lr 0.02, 0.015, 0.005 (the LR used in each epoch).
            #expect(zip(history.map(\.lr), [0.02, 0.015, 0.005]).allSatisfy { abs($0 - $1) < 1e-12 })

            let logged = try MetricsLog.read(dir.file("metrics.jsonl"))
            #expect(logged == history)
            let firstLine = try String(contentsOfFile: dir.file("metrics.jsonl"), encoding: .utf8).split(separator: "\n")[0]
            for key in ["\"epoch\":1", "\"train_loss\":", "\"train_acc\":", "\"val_loss\":", "\"val_acc1\":", "\"val_acc5\":",
                        "\"lr\":", "\"seconds\":", "\"images_per_s\":"] {
                #expect(firstLine.contains(key), "\(key) in \(firstLine)")
            }

            // The checkpoint alone rebuilds the model, which evaluates as the trainer's last validation did.
            let checkpoint = try TrainingCheckpoint.load(dir.file("run.safetensors"))
            #expect(checkpoint.spec == spec)
            #expect(checkpoint.trainState?.epoch == 3 && checkpoint.trainState?.isComplete == true)
            let rebuilt = try checkpoint.buildModel()
            let evaluation = try Evaluator(model: rebuilt, spec: try #require(checkpoint.spec)).evaluate(val)
            #expect(evaluation.top1 == history[2].valAccuracy1)
            #expect(abs((evaluation.loss ?? .nan) - (history[2].valLoss ?? .nan)) < 1e-6)
            #expect(evaluation.samples == 64)
        }

        @Test func fitOnACompletedRunDoesNothing() throws {
            let spec = smallCNNSpec()
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec,
                                      config: TrainingConfig(epochs: 1, batchSize: 32, lr: 0.01, scheduler: .none))
            let train = quadrantSource(count: 32, seed: 3, batchSize: 32)
            #expect(try trainer.fit(train: train).steps == 1)
            let again = try trainer.fit(train: train)
            #expect(again.status == .completed && again.steps == 1 && again.history.isEmpty)
        }

        @Test func dataThatDoesNotFitTheModelIsAnError() throws {
            let spec = smallCNNSpec(classes: 5)
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(epochs: 1))
            let error = #expect(throws: TrainingError.self) { try trainer.fit(train: quadrantSource(count: 8, seed: 1, batchSize: 4)) }
            #expect("\(message(error))".contains("4 classes, the model 5"), "\(message(error))")

            let rgb = ToyBatchSource(images: [Float](repeating: 0, count: 2 * 3 * 28 * 28), labels: [0, 1], sampleShape: [3, 28, 28],
                                     classes: ["a", "b", "c", "d", "e"], batchSize: 2)
            let shapeError = #expect(throws: TrainingError.self) { try trainer.fit(train: rgb) }
            #expect("\(message(shapeError))".contains("[3, 28, 28]") && "\(message(shapeError))".contains("[1, 28, 28]"), "\(message(shapeError))")

            let badLabel = ToyBatchSource(images: [Float](repeating: 0, count: 2 * 28 * 28), labels: [0, 7], sampleShape: [1, 28, 28],
                                          classes: [], batchSize: 2, shuffle: false)
            let labelError = #expect(throws: TrainingError.self) { try trainer.fit(train: badLabel) }
            #expect("\(message(labelError))".contains("label 7") && "\(message(labelError))".contains("dataset index 1"), "\(message(labelError))")
        }

        @Test func configValidationNamesTheBadValue() throws {
            let cases: [(TrainingConfig, String)] = [
                (TrainingConfig(epochs: 0), "epochs"),
                (TrainingConfig(lr: -1), "learning rate"),
                (TrainingConfig(labelSmoothing: 1), "label smoothing"),
                (TrainingConfig(scheduler: .onecycle, warmupEpochs: 1), "onecycle"),
                (TrainingConfig(epochs: 3, warmupEpochs: 3), "warm-up"),
                (TrainingConfig(scheduler: .multistep), "milestones"),
            ]
            for (config, word) in cases {
                let error = #expect(throws: TrainingError.self) { try config.validate() }
                #expect("\(message(error))".contains(word), "\(message(error))")
            }
        }

        @Test func configDefaultsFollowTheReferenceRecipeAndDecodeFromPartialJSON() throws {
            let sgd = TrainingConfig()
            #expect(sgd.resolvedLR == 0.1 && sgd.momentum == 0.9 && sgd.resolvedWeightDecay == 1e-4)
            #expect(sgd.scheduler == .step && sgd.stepSize == 30 && sgd.gamma == 0.1 && sgd.warmupDecay == 0.01)
            #expect(TrainingConfig(optimizer: .adamw).resolvedWeightDecay == 0.01)
            #expect(TrainingConfig(optimizer: .adam).resolvedLR == 1e-3)
            let partial = try JSONDecoder().decode(TrainingConfig.self, from: Data(#"{"epochs": 4, "optimizer": "adamw", "label_smoothing": 0.1}"#.utf8))
            #expect(partial == TrainingConfig(epochs: 4, optimizer: .adamw, labelSmoothing: 0.1))
            let full = TrainingConfig(epochs: 5, lr: 0.3, scheduler: .multistep, milestones: [2, 4], warmupEpochs: 1, seed: .max)
            #expect(try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(full)) == full)
        }
    }
}

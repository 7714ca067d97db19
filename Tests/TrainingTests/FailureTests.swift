// Failures before and during training: an unwritable output path is reported before any step; a
// diverging loss stops the run naming the epoch and batch and leaves the last good checkpoint
// byte for byte as it was; SIGINT sets the interrupt flag.

import Foundation
import Testing
import SwiftVision
#if canImport(Glibc)
import Glibc
#endif

extension TrainingTests {
    @Suite struct Failures {
        @Test func unwritableOutputIsAnErrorBeforeTraining() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let plainFile = dir.file("file.txt")
            try Data("x".utf8).write(to: URL(fileURLWithPath: plainFile))
            let cases: [(String, String)] = [
                (dir.file("missing/run.safetensors"), "does not exist"),
                (plainFile + "/run.safetensors", "not a directory"),
                (dir.path, "is not a regular file"),
                (dir.path + "/", "names a directory"),
            ]
            for (path, reason) in cases {
                let error = #expect(throws: TrainingError.self) {
                    try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(), checkpointPath: path)
                }
                #expect("\(message(error))".hasPrefix("\(path): cannot write the output here") && "\(message(error))".contains(reason), "\(message(error))")
            }
            let metrics = #expect(throws: TrainingError.self) {
                try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(),
                            checkpointPath: dir.file("ok.safetensors"), metricsPath: dir.file("nope/metrics.jsonl"))
            }
            #expect("\(message(metrics))".contains("nope/metrics.jsonl"))
            // The probe leaves nothing behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["file.txt"])
        }

        @Test func divergingLossStopsAndKeepsTheLastGoodCheckpoint() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let path = dir.file("run.safetensors")
            // Epoch 1 trains at lr 0.01; the milestone multiplies it by 1e30 for epoch 2.
            let config = TrainingConfig(epochs: 3, batchSize: 16, lr: 0.01, scheduler: .multistep, gamma: 1e30, milestones: [1])
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path,
                                      metricsPath: dir.file("metrics.jsonl"))
            var epochsDone = 0
            var bytesAfterEpoch1 = Data()
            let reporter = CallbackReporter { event in
                if case .checkpointSaved = event {
                    epochsDone += 1
                    bytesAfterEpoch1 = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
                }
            }
            let error = #expect(throws: TrainingError.self) {
                try trainer.fit(train: quadrantSource(count: 64, seed: 4, batchSize: 16), reporter: reporter)
            }
            guard case .nonFiniteLoss(let epoch, let batch, _, let value, let kept) = error else {
                Issue.record("expected nonFiniteLoss, got \(String(describing: error))"); return
            }
            #expect(epochsDone == 1 && epoch == 2 && batch >= 1 && !value.isFinite && kept == path)
            #expect("\(message(error))".contains("at epoch 2, batch \(batch)") && "\(message(error))".contains("left unchanged"), "\(message(error))")
            #expect(!bytesAfterEpoch1.isEmpty)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytesAfterEpoch1)
            #expect(try MetricsLog.read(dir.file("metrics.jsonl")).count == 1)
            #expect(try TrainingCheckpoint.load(path).trainState?.epoch == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["metrics.jsonl", "run.safetensors"])
        }

        @Test func hugeLearningRateDivergesAtOnce() throws {
            let spec = smallCNNSpec()
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec,
                                      config: TrainingConfig(epochs: 1, batchSize: 8, lr: 1e30, scheduler: .none))
            let error = #expect(throws: TrainingError.self) { try trainer.fit(train: quadrantSource(count: 64, seed: 4, batchSize: 8)) }
            guard case .nonFiniteLoss(1, let batch, let step, _, nil) = error else {
                Issue.record("expected nonFiniteLoss in epoch 1 without checkpoint, got \(String(describing: error))"); return
            }
            #expect(batch == step && batch <= 3)
        }

        @Test func infiniteWeightsAreNeverCheckpointed() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            // One step at lr 1e300 (infinite in Float): the loss of that step is finite, the weights after it are not.
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec,
                                      config: TrainingConfig(epochs: 2, batchSize: 8, lr: 1e300, scheduler: .none),
                                      checkpointPath: dir.file("run.safetensors"))
            let error = #expect(throws: TrainingError.self) { try trainer.fit(train: quadrantSource(count: 8, seed: 4, batchSize: 8)) }
            guard case .nonFiniteWeights(_, 1, 0, nil) = error else {
                Issue.record("expected nonFiniteWeights after epoch 1, got \(String(describing: error))"); return
            }
            #expect("\(message(error))".hasSuffix("(try a lower learning rate); no checkpoint was written"), "\(message(error))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }

        @Test func sigintSetsTheInterruptFlag() async throws {
            let flag = InterruptFlag()
            flag.installSIGINTHandler()
            defer { flag.removeSIGINTHandler() }
            #expect(!flag.isSet)
            kill(getpid(), SIGINT)  // process-directed, as a terminal's Ctrl-C
            for _ in 0..<200 where !flag.isSet { try await Task.sleep(for: .milliseconds(10)) }
            #expect(flag.isSet)
            flag.reset()
            #expect(!flag.isSet)
        }

        @Test func interruptBeforeTheFirstStepWritesACheckpointAtTheStart() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let flag = InterruptFlag()
            flag.set()
            let result = try Trainer(model: try spec.makeModel(), spec: spec, config: TrainingConfig(epochs: 1),
                                     checkpointPath: dir.file("run.safetensors"))
                .fit(train: quadrantSource(count: 16, seed: 1, batchSize: 8), interrupt: flag)
            #expect(result.status == .interrupted && result.steps == 0 && result.checkpointPath == dir.file("run.safetensors"))
            let state = try #require(try TrainingCheckpoint.load(dir.file("run.safetensors")).trainState)
            #expect(state.epoch == 0 && state.batch == 0 && state.step == 0)
        }
    }
}

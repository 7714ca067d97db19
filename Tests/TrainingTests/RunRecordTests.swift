// The checkpoint is the record of a run (issue 14): the metrics file is put back in line with the
// checkpoint's history on resume; an epoch with too many unreadable samples, or none trained,
// stops before its checkpoint; resuming with a setting that cannot apply is refused; a longer
// cosine run continues on the cosine of its new length.

import Foundation
import Testing
import SwiftVision

/// A source whose stream drops the first `skipPerBatch` samples of every batch, as a loader does
/// with unreadable files (they are counted in `skippedSamples`).
final class SkippingSource: BatchSource {
    let inner: ToyBatchSource
    let skipPerBatch: Int
    init(_ inner: ToyBatchSource, skipPerBatch: Int) { self.inner = inner; self.skipPerBatch = skipPerBatch }
    var batchesPerEpoch: Int { inner.batchesPerEpoch }
    var samplesPerEpoch: Int { inner.samplesPerEpoch }
    var classes: [String] { inner.classes }
    func batches(epoch: Int, from firstBatch: Int) -> any BatchStream {
        Stream(inner.batches(epoch: epoch, from: firstBatch), skip: skipPerBatch)
    }
    final class Stream: BatchStream {
        let inner: any BatchStream
        let skip: Int
        var skippedSamples = 0
        init(_ inner: any BatchStream, skip: Int) { self.inner = inner; self.skip = skip }
        func next() throws -> Batch? {
            guard let batch = try inner.next() else { return nil }
            let n = batch.labels.count, dropped = min(skip, n)
            skippedSamples += dropped
            let keep = n - dropped
            let per = batch.images.count / max(n, 1)
            let data = Array(batch.images.scalars[(dropped * per)...])
            return Batch(images: Tensor(shape: [keep] + batch.images.shape.dropFirst(), data: data),
                         labels: Array(batch.labels[dropped...]), indices: Array(batch.indices[dropped...]))
        }
    }
}

extension TrainingTests {
    @Suite struct RunRecordTests {
        @Test func resumeRewritesTheMetricsFileFromTheCheckpointsHistory() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let config = TrainingConfig(epochs: 4, batchSize: 16, lr: 0.02, scheduler: .cosine)
            let train = quadrantSource(count: 48, seed: 3, batchSize: 16)
            let path = dir.file("run.safetensors"), metrics = dir.file("run.jsonl")
            let flag = InterruptFlag()
            let first = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path, metricsPath: metrics)
            try first.fit(train: train, reporter: interrupting(at: 6, flag), interrupt: flag)
            let saved = try #require(try TrainingCheckpoint.load(path).trainState)
            #expect(saved.epoch == 2 && saved.history?.map(\.epoch) == [1, 2])
            #expect(try MetricsLog.read(metrics) == saved.history!)

            // What a kill between a metrics write and its checkpoint left behind, and a stray
            // temporary of a killed writer (pid 999999999 does not run).
            let stale = saved.history! + [saved.history![1], saved.history![1]]
            try Data(stale.map { try MetricsLog.encode($0) + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: metrics))
            let temporary = AtomicFile.temporaryPrefix(for: path, tag: "tmp") + "999999999-12345"
            #expect(FileManager.default.createFile(atPath: temporary, contents: Data(repeating: 7, count: 100)))

            let resumed = try Trainer.resuming(from: path, metricsPath: metrics)
            #expect(!FileManager.default.fileExists(atPath: temporary), "the killed writer's temporary is removed at the next start")
            let result = try resumed.fit(train: train)
            #expect(result.history.map(\.epoch) == [3, 4])
            let lines = try MetricsLog.read(metrics)
            #expect(lines.map(\.epoch) == [1, 2, 3, 4])
            let record = try #require(try TrainingCheckpoint.load(path).trainState?.history)
            #expect(lines == record)
            #expect(Array(record.prefix(2)) == saved.history!)
        }

        /// Trains the small CNN for two epochs of `config` (stopped there by an interrupt), then
        /// rewrites the checkpoint at `path` as versions before train_state.history wrote it;
        /// returns the history it had.
        func checkpointWithoutHistory(_ config: TrainingConfig, _ train: ToyBatchSource, path: String,
                                      metrics: String) throws -> [EpochMetrics] {
            let spec = smallCNNSpec()
            let flag = InterruptFlag()
            let model = try spec.makeModel()
            try Trainer(model: model, spec: spec, config: config, checkpointPath: path, metricsPath: metrics)
                .fit(train: train, reporter: interrupting(at: 6, flag), interrupt: flag)
            var state = try #require(try TrainingCheckpoint.load(path).trainState)
            let saved = try #require(state.history)
            #expect(saved.map(\.epoch) == [1, 2])
            state.history = nil
            try TrainingCheckpoint.save(model: model, spec: spec, state: state, to: path)
            #expect(try TrainingCheckpoint.load(path).trainState?.history == nil)
            return saved
        }

        @Test func resumingACheckpointWithoutHistoryTakesItFromTheMetricsFile() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let train = quadrantSource(count: 48, seed: 3, batchSize: 16)
            let path = dir.file("run.safetensors"), metrics = dir.file("run.jsonl")
            let saved = try checkpointWithoutHistory(TrainingConfig(epochs: 4, batchSize: 16, lr: 0.02, scheduler: .cosine),
                                                     train, path: path, metrics: metrics)

            // What the old order (line, then checkpoint) left after kills: epoch 2 twice (the later
            // line is the checkpoint's), a line of an epoch 3 whose checkpoint never made it, and a
            // line cut short.
            var rerun = saved[1]
            rerun.trainLoss += 1
            var lost = saved[1]
            lost.epoch = 3
            func write(_ lines: [EpochMetrics], tail: String = "") throws {
                let text = try lines.map { try MetricsLog.encode($0) + "\n" }.joined() + tail
                try Data(text.utf8).write(to: URL(fileURLWithPath: metrics))
            }
            try write([saved[0], saved[1], rerun, lost], tail: "{\"epoch\":3,\"train_lo")
            let result = try Trainer.resuming(from: path, metricsPath: metrics).fit(train: train)
            #expect(result.history.map(\.epoch) == [3, 4])
            let lines = try MetricsLog.read(metrics)
            #expect(lines.map(\.epoch) == [1, 2, 3, 4])
            #expect(Array(lines.prefix(2)) == [saved[0], rerun])
            #expect(lines[2] != lost)
            // The recovered lines are the record from now on.
            #expect(try TrainingCheckpoint.load(path).trainState?.history == lines)
        }

        @Test func resumingWithoutHistoryAndAnIncompleteFileKeepsWhatItHas() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let train = quadrantSource(count: 48, seed: 4, batchSize: 16)
            let path = dir.file("run.safetensors"), metrics = dir.file("run.jsonl")
            let saved = try checkpointWithoutHistory(TrainingConfig(epochs: 3, batchSize: 16, lr: 0.02), train,
                                                     path: path, metrics: metrics)
            // Epoch 1's line is gone, epoch 2's is there twice, and a later epoch's is stale.
            var stale = saved[1]
            stale.epoch = 5
            let text = try [saved[1], saved[1], stale].map { try MetricsLog.encode($0) + "\n" }.joined()
            try Data(text.utf8).write(to: URL(fileURLWithPath: metrics))
            _ = try Trainer.resuming(from: path, metricsPath: metrics).fit(train: train)
            let lines = try MetricsLog.read(metrics)
            #expect(lines.map(\.epoch) == [2, 3])
            #expect(lines[0] == saved[1])
            // No history is claimed that the run does not have.
            #expect(try TrainingCheckpoint.load(path).trainState?.history == nil)
        }

        @Test func tooManySkippedSamplesStopBeforeTheCheckpoint() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let path = dir.file("run.safetensors")
            let config = TrainingConfig(epochs: 1, batchSize: 16, lr: 0.02)
            // A good first run leaves a checkpoint the failing runs must not touch.
            try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path)
                .fit(train: quadrantSource(count: 32, seed: 1, batchSize: 16))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            // 2 of every 16 samples skipped: 12.5% > 10%, found at the second batch (4 > 3.2).
            let skipping = SkippingSource(quadrantSource(count: 32, seed: 1, batchSize: 16), skipPerBatch: 2)
            let trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path)
            let error = #expect(throws: TrainingError.self) { try trainer.fit(train: skipping) }
            #expect(error == .tooManySkipped(split: "training", epoch: 1, skipped: 4, samples: 32, maxFraction: 0.1))
            #expect(message(error).contains("4 of the 32 training samples of epoch 1 could not be read, more than the allowed 10%"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

            // The same data passes with a higher limit.
            let lenient = try Trainer(model: try spec.makeModel(), spec: spec, config: config)
            lenient.maxSkippedFraction = 0.2
            #expect(try lenient.fit(train: skipping).history.first?.skippedSamples == 4)

            // Every sample unreadable, even with no limit: no step, an error, nothing saved.
            let nothing = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path)
            nothing.maxSkippedFraction = 1
            let allSkipped = SkippingSource(quadrantSource(count: 32, seed: 1, batchSize: 16), skipPerBatch: 16)
            let none = #expect(throws: TrainingError.self) { try nothing.fit(train: allSkipped) }
            #expect(none == .noTrainingSteps(epoch: 1))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }

        @Test func resumingRefusesSettingsThatCannotApply() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let path = dir.file("run.safetensors")
            let config = TrainingConfig(epochs: 2, batchSize: 16, lr: 0.02, scheduler: .onecycle)
            try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path)
                .fit(train: quadrantSource(count: 32, seed: 1, batchSize: 16))

            var lr = config
            lr.lr = 0.01
            let e1 = #expect(throws: TrainingError.self) {
                try Trainer(model: try spec.makeModel(), spec: spec, config: lr).resume(from: path)
            }
            #expect(message(e1).contains("lr: 0.02 -> 0.01 cannot change"), "\(message(e1))")
            var longer = config
            longer.epochs = 3
            let e2 = #expect(throws: TrainingError.self) {
                try Trainer(model: try spec.makeModel(), spec: spec, config: longer).resume(from: path)
            }
            #expect(message(e2).contains("epochs cannot change (2 -> 3) under a onecycle schedule"), "\(message(e2))")
            // Label smoothing may change, and is reported.
            var smoothing = config
            smoothing.labelSmoothing = 0.1
            let info = try Trainer(model: try spec.makeModel(), spec: spec, config: smoothing).resume(from: path)
            #expect(info.configChanges == ["label_smoothing: 0 -> 0.1"] || info.configChanges == ["label_smoothing: 0.0 -> 0.1"],
                    "\(info.configChanges)")
        }

        @Test func moreEpochsUnderCosineFollowTheNewHorizon() throws {
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            let spec = smallCNNSpec()
            let path = dir.file("run.safetensors")
            let lr = 0.04
            for warmup in [0, 1] {
                let config = TrainingConfig(epochs: 2, batchSize: 16, lr: lr, scheduler: .cosine, warmupEpochs: warmup)
                let train = quadrantSource(count: 32, seed: 2, batchSize: 16)
                try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: path).fit(train: train)
                let extended = try Trainer.resuming(from: path, epochs: 5)
                let history = try extended.fit(train: train).history
                #expect(history.map(\.epoch) == [3, 4, 5])
                // Epoch e (1-based) trains at the cosine of length 5 − warmup at t = e − 1 − warmup.
                let period = Double(5 - warmup)
                for m in history {
                    let t = Double(m.epoch - 1 - warmup)
                    let expected = lr * (1 + cos(Double.pi * t / period)) / 2
                    #expect(abs(m.lr - expected) < 1e-12, "warm-up \(warmup), epoch \(m.epoch): lr \(m.lr), expected \(expected)")
                }
                #expect(history.allSatisfy { $0.lr > 0 })
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }
}

// `vision bench train --data-parallel` under mpirun: the training step of `Trainer` over the ranks
// (forward, backward with the gradient all-reduce overlapped, the step's totals, SGD), on a fixed
// random batch per rank, so the numbers compare with `vision bench train` in one process. Also
// reports the communication backward did not hide (the wait after backward) and its share of the step.
import Datasets
import Foundation
import Models
import NN
import Tensors
import Training
import Transforms

/// Data-parallel training-step benchmarks.
public enum DataParallelStepBenchmark {
    /// One measurement (every rank measures; rank 0 reports).
    public struct Result: Sendable, Codable {
        public var model: String
        /// Samples per rank per step, and over all ranks.
        public var batchPerRank: Int
        public var globalBatch: Int
        public var worldSize: Int
        public var channels: Int
        public var size: Int
        public var medianSeconds: Double
        public var runs: Int
        /// Global images per second at the median step time.
        public var imagesPerSecond: Double
        /// Mean seconds per step spent waiting for communication after backward.
        public var exposedCommunicationSeconds: Double
        /// `exposedCommunicationSeconds` over the mean step time.
        public var exposedCommunicationShare: Double
        /// Gradient bytes all-reduced per step.
        public var gradientBytes: Int
    }

    /// A fixed batch served `batches` times an epoch.
    final class FixedBatches: BatchSource {
        let batch: Batch
        let batchesPerEpoch: Int
        let classes: [String]
        init(_ batch: Batch, batches: Int, classes: Int) {
            self.batch = batch; batchesPerEpoch = batches; self.classes = (0..<classes).map { "c\($0)" }
        }
        var samplesPerEpoch: Int { batch.count * batchesPerEpoch }
        func batches(epoch: Int, from firstBatch: Int) -> any BatchStream { Stream(self, firstBatch) }
        final class Stream: BatchStream {
            let source: FixedBatches
            var position: Int
            init(_ source: FixedBatches, _ position: Int) { self.source = source; self.position = position }
            var skippedSamples: Int { 0 }
            func next() throws -> Batch? {
                guard position < source.batchesPerEpoch else { return nil }
                position += 1
                return source.batch
            }
        }
    }

    /// Per-step wall times, from the trainer's step events.
    final class StepClock: TrainingReporter, @unchecked Sendable {
        var stamps: [Double] = []
        func report(_ event: TrainingEvent) {
            if case .step = event { stamps.append(Double(DispatchTime.now().uptimeNanoseconds) / 1e9) }
        }
    }

    /// Times `warmup` + `runs` steps of `name` with `batch` random images per rank of `group`.
    public static func run(model name: String, batch: Int, channels: Int = 3, size: Int, numClasses: Int = 10,
                           runs: Int = 10, warmup: Int = 2, group: any ProcessGroup) throws -> Result {
        let spec = ModelSpec(architecture: name, classNames: (0..<numClasses).map { "c\($0)" }, inputChannels: channels,
                             preprocessing: ImageClassificationPreset(cropSize: size, resizeSize: size, interpolation: .bilinear,
                                                                      mean: Array(repeating: 0.5, count: channels),
                                                                      std: Array(repeating: 0.5, count: channels)))
        let config = TrainingConfig(epochs: 1, batchSize: batch, lr: 0.01, momentum: 0.9, weightDecay: 0, scheduler: .none, seed: 0)
        let trainer = try Trainer(model: try spec.makeModel(seed: 0), spec: spec, config: config, processGroup: group)
        var g = RandomGenerator(seed: 1 &+ UInt64(group.rank))
        let x = Tensor.normal([batch, channels, size, size], generator: &g)
        let labels = (0..<batch).map { _ in Int.random(in: 0..<numClasses, using: &g) }
        let clock = StepClock()
        let start = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        try trainer.fit(train: FixedBatches(Batch(images: x, labels: labels, indices: Array(0..<batch)), batches: warmup + runs,
                                            classes: numClasses), reporter: clock)
        let stamps = [start] + clock.stamps
        let times = (warmup..<(warmup + runs)).map { stamps[$0 + 1] - stamps[$0] }
        let median = Timing.median(times), mean = times.reduce(0, +) / Double(times.count)
        // The exposed time is counted over every step, warm-up included: scale it to a mean per step.
        let exposed = trainer.exposedCommunicationSeconds / Double(warmup + runs)
        return Result(model: name, batchPerRank: batch, globalBatch: batch * group.size, worldSize: group.size, channels: channels,
                      size: size, medianSeconds: median, runs: runs, imagesPerSecond: Double(batch * group.size) / median,
                      exposedCommunicationSeconds: exposed, exposedCommunicationShare: exposed / mean,
                      gradientBytes: trainer.gradientBytesPerStep)
    }
}

// Measurements behind `vision bench train`: the speed of one full training step (zero_grad,
// forward in train mode, cross-entropy, backward, SGD with momentum) on a fixed random batch —
// the same work as Scripts/bench_training.py does with PyTorch, so the two print comparable images/s.

import Models
import NN
import Tensors

/// Training-step benchmarks.
public enum TrainStepBenchmark {
    /// One measurement.
    public struct Result: Sendable, Codable {
        public var model: String
        public var batch: Int
        public var channels: Int
        public var size: Int
        public var medianSeconds: Double
        public var minSeconds: Double
        public var runs: Int
        /// Images per second at the median step time.
        public var imagesPerSecond: Double
    }

    /// Times `warmup` + `runs` training steps of `name` on a random `batch`×`channels`×`size`² batch
    /// with random labels among `numClasses`.
    public static func run(model name: String, batch: Int, channels: Int = 3, size: Int, numClasses: Int = 10,
                           runs: Int = 10, warmup: Int = 2) throws -> Result {
        TorchGenerator.manualSeed(0)
        let model = try Architectures.build(name, numClasses: numClasses, inputChannels: channels)
        model.train()
        let optimizer = SGD(model.parameters(), lr: 0.01, momentum: 0.9)
        var g = RandomGenerator(seed: 1)
        let x = Tensor.normal([batch, channels, size, size], generator: &g)
        let labels = (0..<batch).map { _ in Int.random(in: 0..<numClasses, using: &g) }
        var sink: Float = 0
        let times = try Timing.samples(warmups: warmup, runs: runs) {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(x), labels)
            try loss.backward()
            optimizer.step()
            sink += loss.scalars[0]
        }
        guard sink.isFinite else { throw BenchmarkError("training step diverged (loss \(sink))") }
        let median = Timing.median(times)
        return Result(model: name, batch: batch, channels: channels, size: size, medianSeconds: median,
                      minSeconds: times.min()!, runs: times.count, imagesPerSecond: Double(batch) / median)
    }

    /// An error raised when a benchmark cannot produce a meaningful number.
    public struct BenchmarkError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

// Measurements behind `vision bench models`: inference latency (batch 1) and throughput (batch 16)
// of torchvision architectures with random weights, in evaluation mode with BatchNorm folded and no
// autograd graph — the same work as PyTorch's eval() + inference_mode() in Scripts/bench_models.py.

import Models
import NN
import Tensors

/// Whole-model inference benchmarks.
public enum ModelBenchmark {
    /// One measurement.
    public struct Result: Sendable, Codable {
        public var model: String
        public var batch: Int
        public var medianSeconds: Double
        public var minSeconds: Double
        public var runs: Int
        /// Images per second at the median.
        public var imagesPerSecond: Double { Double(batch) / medianSeconds }
    }

    /// Times `model` on a random `batch`×3×`size`² input: one warm-up, then `runs` timed calls.
    public static func run(model name: String, batch: Int, size: Int = 224, runs: Int = 10) throws -> Result {
        TorchGenerator.manualSeed(0)
        let model = try Architectures.build(name)
        model.foldBatchNormsForInference()
        var g = RandomGenerator(seed: 1)
        let x = Tensor.uniform([batch, 3, size, size], low: -2, high: 2, generator: &g)
        var sink: Float = 0
        let times = withNoGrad { Timing.samples(warmups: 1, runs: runs) { sink += model(x).scalars[0] } }
        _ = sink
        return Result(model: name, batch: batch, medianSeconds: Timing.median(times), minSeconds: times.min()!, runs: times.count)
    }
}

// Measurements behind `vision bench models`: inference latency (batch 1) and throughput (batch 16)
// of torchvision architectures with random weights, in evaluation mode with BatchNorm folded and no
// autograd graph — the same work as PyTorch's eval() + inference_mode() in Scripts/bench_models.py.
// Each result also carries the forward's FLOPs (counted by `FLOPCounter` over the products the
// warm-up ran), GFLOP/s and % of the measured FMA peak.

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
        /// FLOPs of one forward at this batch, in billions (the convolutions', linear layers' and matrix
        /// products' multiply-adds, `FLOPCounter`).
        public var gflop: Double?
        /// GFLOP/s at the median time.
        public var gflops: Double?
        /// `gflops` as a percentage of the measured FMA peak of the active ISA path at
        /// `Threading.count` threads (`MachineBenchmark.peak`).
        public var peakPercent: Double?
        /// Images per second at the median.
        public var imagesPerSecond: Double { Double(batch) / medianSeconds }
    }

    /// Times `model` on a random `batch`×3×`size`² input: one warm-up, then `runs` timed calls.
    /// With `peak` (the default) also reports GFLOP/s against the FMA peak, measured once per process.
    /// `usePlan: false` calls the module directly instead of through its `InferencePlan`.
    public static func run(model name: String, batch: Int, size: Int = 224, runs: Int = 10, peak: Bool = true,
                           usePlan: Bool = true) throws -> Result {
        TorchGenerator.manualSeed(0)
        let model = try Architectures.build(name)
        model.foldBatchNormsForInference()
        var g = RandomGenerator(seed: 1)
        let x = Tensor.uniform([batch, 3, size, size], low: -2, high: 2, generator: &g)
        // The model runs through its inference plan (activations allocated once); the warm-up is
        // the plan's recording run, which runs every op and so gives the FLOP count.
        let plan = InferencePlan(model, inputShape: x.shape)
        let forward: () -> Tensor = usePlan ? { plan.run(x) } : { withNoGrad { model(x) } }
        let (warmup, counted) = FLOPCounter.count { forward() }
        let flops: Double? = counted > 0 ? counted : nil
        var sink = warmup.scalars.first ?? 0
        let times = Timing.samples(warmups: 0, runs: runs) { sink += forward().scalars[0] }
        _ = sink
        let median = Timing.median(times)
        let gflops = flops.map { $0 / median / 1e9 }
        let peakGflops = peak ? MachineBenchmark.peak(isa: KernelISA.active, threads: Threading.count) : nil
        let percent = gflops.flatMap { ours in peakGflops.flatMap { $0 > 0 ? 100 * ours / $0 : nil } }
        return Result(model: name, batch: batch, medianSeconds: median, minSeconds: times.min() ?? median, runs: times.count,
                      gflop: flops.map { $0 / 1e9 }, gflops: gflops, peakPercent: percent)
    }
}

// Measurements behind `vision bench conv`: every distinct conv of ResNet-18 at 224², batch 1,
// against a bare cblas_sgemm of the same M×N×K in the same run, and its backward against its forward.
// As in ResNet, the convs have no bias; backward computes input and weight gradients.

import CBLAS
import Foundation
import Tensors

extension TensorBenchmark {
    /// One conv of the table.
    public struct ConvCase: Sendable {
        public let name: String
        public let inChannels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, padding: Int
        /// How many times ResNet-18 runs this conv.
        public let occurrences: Int

        /// The same conv in the same model fed `input`² images instead of 224² (its map scaled
        /// by input/224, at least 1).
        public func scaled(toInput input: Int) -> ConvCase {
            ConvCase(name: name, inChannels: inChannels, outChannels: outChannels, size: Swift.max(1, size * input / 224),
                     kernel: kernel, stride: stride, padding: padding, occurrences: occurrences)
        }
    }

    /// The distinct convs of ResNet-18 at 224×224.
    public static let resnet18Convs: [ConvCase] = [
        ConvCase(name: "conv1 7×7/2", inChannels: 3, outChannels: 64, size: 224, kernel: 7, stride: 2, padding: 3, occurrences: 1),
        ConvCase(name: "layer1 3×3", inChannels: 64, outChannels: 64, size: 56, kernel: 3, stride: 1, padding: 1, occurrences: 4),
        ConvCase(name: "layer2.0.conv1 3×3/2", inChannels: 64, outChannels: 128, size: 56, kernel: 3, stride: 2, padding: 1, occurrences: 1),
        ConvCase(name: "layer2 3×3", inChannels: 128, outChannels: 128, size: 28, kernel: 3, stride: 1, padding: 1, occurrences: 3),
        ConvCase(name: "layer2 downsample 1×1/2", inChannels: 64, outChannels: 128, size: 56, kernel: 1, stride: 2, padding: 0, occurrences: 1),
        ConvCase(name: "layer3.0.conv1 3×3/2", inChannels: 128, outChannels: 256, size: 28, kernel: 3, stride: 2, padding: 1, occurrences: 1),
        ConvCase(name: "layer3 3×3", inChannels: 256, outChannels: 256, size: 14, kernel: 3, stride: 1, padding: 1, occurrences: 3),
        ConvCase(name: "layer3 downsample 1×1/2", inChannels: 128, outChannels: 256, size: 28, kernel: 1, stride: 2, padding: 0, occurrences: 1),
        ConvCase(name: "layer4.0.conv1 3×3/2", inChannels: 256, outChannels: 512, size: 14, kernel: 3, stride: 2, padding: 1, occurrences: 1),
        ConvCase(name: "layer4 3×3", inChannels: 512, outChannels: 512, size: 7, kernel: 3, stride: 1, padding: 1, occurrences: 3),
        ConvCase(name: "layer4 downsample 1×1/2", inChannels: 256, outChannels: 512, size: 14, kernel: 1, stride: 2, padding: 0, occurrences: 1),
    ]

    /// The distinct convs of ResNet-50 at 224×224 (torchvision's v1.5: the stride in the 3×3).
    public static let resnet50Convs: [ConvCase] = {
        func c(_ name: String, _ cin: Int, _ cout: Int, _ size: Int, _ kernel: Int, _ stride: Int, _ count: Int) -> ConvCase {
            ConvCase(name: name, inChannels: cin, outChannels: cout, size: size, kernel: kernel, stride: stride,
                     padding: kernel / 2, occurrences: count)
        }
        return [
            c("conv1 7×7/2", 3, 64, 224, 7, 2, 1),
            c("layer1.0.conv1 1×1", 64, 64, 56, 1, 1, 1), c("layer1 conv1 1×1", 256, 64, 56, 1, 1, 2),
            c("layer1 conv2 3×3", 64, 64, 56, 3, 1, 3), c("layer1 conv3 1×1", 64, 256, 56, 1, 1, 4),
            c("layer2.0.conv1 1×1", 256, 128, 56, 1, 1, 1), c("layer2.0.conv2 3×3/2", 128, 128, 56, 3, 2, 1),
            c("layer2 downsample 1×1/2", 256, 512, 56, 1, 2, 1), c("layer2 conv1 1×1", 512, 128, 28, 1, 1, 3),
            c("layer2 conv2 3×3", 128, 128, 28, 3, 1, 3), c("layer2 conv3 1×1", 128, 512, 28, 1, 1, 4),
            c("layer3.0.conv1 1×1", 512, 256, 28, 1, 1, 1), c("layer3.0.conv2 3×3/2", 256, 256, 28, 3, 2, 1),
            c("layer3 downsample 1×1/2", 512, 1024, 28, 1, 2, 1), c("layer3 conv1 1×1", 1024, 256, 14, 1, 1, 5),
            c("layer3 conv2 3×3", 256, 256, 14, 3, 1, 5), c("layer3 conv3 1×1", 256, 1024, 14, 1, 1, 6),
            c("layer4.0.conv1 1×1", 1024, 512, 14, 1, 1, 1), c("layer4.0.conv2 3×3/2", 512, 512, 14, 3, 2, 1),
            c("layer4 downsample 1×1/2", 1024, 2048, 14, 1, 2, 1), c("layer4 conv1 1×1", 2048, 512, 7, 1, 1, 2),
            c("layer4 conv2 3×3", 512, 512, 7, 3, 1, 2), c("layer4 conv3 1×1", 512, 2048, 7, 1, 1, 3),
        ]
    }()

    /// Result for one conv: forward and bare-GEMM times, and the backward time (medians over rounds).
    public struct ConvRow: Sendable {
        public let conv: ConvCase
        public let m: Int, n: Int, k: Int
        public let forward: Double, gemm: Double, backward: Double
        /// The inference form: weights packed once (and Winograd-transformed where the chooser
        /// picks Winograd), bias and ReLU fused, as an evaluation-mode model with BN folded runs it.
        public let inference: Double
        /// The algorithm the chooser picks for the inference form.
        public let inferenceAlgorithm: String
        /// Median over rounds of each round's GEMM time / forward time (goal ≥ 0.8).
        public let efficiency: Double
        /// Median over rounds of each round's backward time / forward time (goal ≤ 3).
        public let backwardRatio: Double
        public var forwardGflops: Double { 2 * Double(m * n * k) / forward / 1e9 }
        public var gemmGflops: Double { 2 * Double(m * n * k) / gemm / 1e9 }
        /// Direct-convolution GFLOP per second of the inference form, whatever algorithm ran.
        public var inferenceGflops: Double { 2 * Double(m * n * k) / inference / 1e9 }
    }

    /// Times `c` (batch `batch`) against a bare GEMM of its M×N×K, and its backward, in `rounds`
    /// rounds of `repeats` runs each. A round times the GEMM, pauses, then the forward and the
    /// backward, so its ratios compare runs a fraction of a second apart: a neighbour that slows the
    /// shared machine for a while moves both sides of a ratio, and the median over rounds drops
    /// the rounds it hit unevenly.
    public static func conv(_ c: ConvCase, batch: Int = 1, repeats: Int = 7, rounds: Int = 5) -> ConvRow {
        var g = RandomGenerator(seed: 3)
        let x = Tensor.uniform([batch, c.inChannels, c.size, c.size], low: -1, high: 1, generator: &g)
        let w = Tensor.uniform([c.outChannels, c.inChannels, c.kernel, c.kernel], low: -0.1, high: 0.1, generator: &g)
        let out = (c.size + 2 * c.padding - c.kernel) / c.stride + 1
        let (m, n, k) = (c.outChannels, batch * out * out, c.inChannels * c.kernel * c.kernel)
        let a = [Float](repeating: 0.5, count: m * k), bb = [Float](repeating: 0.25, count: k * n)
        var cc = [Float](repeating: 0, count: m * n)
        var sink: Float = 0
        let xg = x.requiringGrad(), wg = w.requiringGrad()
        let seed = Tensor.ones([batch, c.outChannels, out, out])
        let packed = PackedConvWeights.pack(w, groups: 1)
        let bias = Tensor.uniform([c.outChannels], low: -0.1, high: 0.1, generator: &g)
        let geometry = try! Tensor.conv2dGeometry(input: x.shape, weight: w.shape, stride: (c.stride, c.stride),
                                                  padding: (c.padding, c.padding), dilation: (1, 1), groups: 1)
        let inferenceAlgorithm = ConvAlgorithm.choose(for: geometry, .forward).rawValue
        var gemms: [Double] = [], forwards: [Double] = [], backwards: [Double] = [], inferences: [Double] = []
        var efficiencies: [Double] = [], backwardRatios: [Double] = []
        for _ in 0..<Swift.max(1, rounds) {
            // The reference: one bare cblas_sgemm of the same M×N×K on OpenBLAS's own thread pool,
            // followed by a pause so its spinning workers are asleep before the conv runs.
            let gemm = openBLASMedian(repeats: repeats) {
                a.withUnsafeBufferPointer { pa in
                    bb.withUnsafeBufferPointer { pb in
                        cc.withUnsafeMutableBufferPointer { pc in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), 1,
                                        pa.baseAddress, blasint(k), pb.baseAddress, blasint(n), 0, pc.baseAddress, blasint(n))
                        }
                    }
                }
            }
            let forward = Timing.median(repeats: repeats) {
                let y = withNoGrad { Tensor.conv2d(x, weight: w, stride: (c.stride, c.stride), padding: (c.padding, c.padding)) }
                sink += y.withUnsafeBufferPointer { $0[0] }
            }
            let inference = Timing.median(repeats: repeats) {
                let y = withNoGrad {
                    Tensor.conv2d(x, packed: packed, bias: bias, stride: (c.stride, c.stride), padding: (c.padding, c.padding),
                                  activation: .relu)
                }
                sink += y.withUnsafeBufferPointer { $0[0] }
            }
            inferences.append(inference)
            // Build the graphs outside the timed region, then time backward alone.
            var graphs: [Tensor] = []
            for _ in 0...repeats { graphs.append(Tensor.conv2d(xg, weight: wg, stride: (c.stride, c.stride), padding: (c.padding, c.padding))) }
            var next = 0
            let backward = Timing.median(repeats: repeats) {
                try? graphs[next].backward(gradient: seed)
                next += 1
            }
            gemms.append(gemm); forwards.append(forward); backwards.append(backward)
            efficiencies.append(gemm / forward); backwardRatios.append(backward / forward)
        }
        _ = sink
        return ConvRow(conv: c, m: m, n: n, k: k, forward: Timing.median(forwards), gemm: Timing.median(gemms),
                       backward: Timing.median(backwards), inference: Timing.median(inferences),
                       inferenceAlgorithm: inferenceAlgorithm, efficiency: Timing.median(efficiencies),
                       backwardRatio: Timing.median(backwardRatios))
    }
}

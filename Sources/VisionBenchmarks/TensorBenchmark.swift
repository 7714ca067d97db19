// Measurements behind `vision bench tensor`: the tensor path against the bare library call or a
// plain pointer loop doing the same work, in the same run, so the ratio is what counts.

import CBLAS
import Foundation
import Tensors

/// The tensor-engine benchmarks.
public enum TensorBenchmark {
    /// Median seconds of `body` run by OpenBLAS's own thread pool (`Threading.count` threads, as a
    /// caller of the bare library would run it), then a pause so that its workers, which spin for
    /// ~0.1 s after each call, are asleep before whatever is measured next.
    public static func openBLASMedian(repeats: Int, _ body: () -> Void) -> Double {
        let t = Threading.withOpenBLASThreads(Threading.count) { Timing.median(repeats: repeats, body) }
        usleep(200_000)
        return t
    }

    /// One row of a benchmark table.
    public struct Row: Sendable {
        public let name: String
        public let ours: Double
        public let reference: Double
        public let unit: String
        /// ours / reference for throughput units (higher is better).
        public var ratio: Double { ours / reference }
    }

    /// GFLOP/s of `Tensor.matmul` against a direct `cblas_sgemm` on the same M×N×K.
    public static func matmul(m: Int, n: Int, k: Int, repeats: Int = 15) -> Row {
        var g = RandomGenerator(seed: 1)
        let a = Tensor.uniform([m, k], generator: &g)
        let b = Tensor.uniform([k, n], generator: &g)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        var sink: Float = 0
        var c = [Float](repeating: 0, count: m * n)
        let ours = Timing.median(repeats: repeats) {
            let c = a.matmul(b)
            sink += c.withUnsafeBufferPointer { $0[0] }
        }
        let direct = openBLASMedian(repeats: repeats) {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k),
                                    1, pa.baseAddress, blasint(k), pb.baseAddress, blasint(n), 0, pc.baseAddress, blasint(n))
                    }
                }
            }
        }
        _ = sink
        return Row(name: "matmul \(m)×\(n)×\(k)", ours: flops / ours / 1e9, reference: flops / direct / 1e9, unit: "GFLOP/s")
    }

    /// GB/s of elementwise `a + b` (and `relu`) on `count` floats against a plain single-thread
    /// pointer loop (C speed) writing into a preallocated buffer.
    public static func elementwise(count: Int = 10_000_000, repeats: Int = 15) -> [Row] {
        var g = RandomGenerator(seed: 2)
        let a = Tensor.uniform([count], low: -1, high: 1, generator: &g)
        let b = Tensor.uniform([count], low: -1, high: 1, generator: &g)
        var out = [Float](repeating: 0, count: count)
        let addBytes = Double(count) * 12, unaryBytes = Double(count) * 8
        var sink: Float = 0
        let (oursAdd, loopAdd) = Timing.medians(repeats: repeats, { sink += (a + b).withUnsafeBufferPointer { $0[1] } }, {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        for i in 0..<count { po[i] = pa[i] + pb[i] }
                    }
                }
            }
        })
        let (oursRelu, loopRelu) = Timing.medians(repeats: repeats, { sink += a.relu().withUnsafeBufferPointer { $0[1] } }, {
            a.withUnsafeBufferPointer { pa in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<count { po[i] = Swift.max(pa[i], 0) }
                }
            }
        })
        _ = sink
        return [
            Row(name: "add 10M floats", ours: addBytes / oursAdd / 1e9, reference: addBytes / loopAdd / 1e9, unit: "GB/s"),
            Row(name: "relu 10M floats", ours: unaryBytes / oursRelu / 1e9, reference: unaryBytes / loopRelu / 1e9, unit: "GB/s"),
        ]
    }
}

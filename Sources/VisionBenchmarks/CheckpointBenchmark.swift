// Measures `loadCheckpoint` on one file: wall time per load (median of several) and the
// process's peak resident set (VmHWM), for `vision bench checkpoints` and
// Scripts/bench_checkpoints.py, which compares against torch.load in the same run.

import Checkpoints
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Load-time benchmark of a checkpoint file.
public enum CheckpointBenchmark {
    /// What one benchmark run measured.
    public struct Result: Sendable {
        /// Seconds of each load, in run order.
        public var seconds: [Double]
        /// Median of `seconds`.
        public var medianSeconds: Double
        /// Resident set of the process before the first load, in bytes (nil if unknown).
        public var rssBeforeBytes: Int?
        /// Peak resident set during the loads, in bytes (nil if unknown). The kernel's high-water
        /// mark is reset before loading where Linux allows it, so start-up peaks do not count.
        public var peakRSSBytes: Int?
        /// Tensors and Float32 elements loaded.
        public var tensorCount: Int
        public var elementCount: Int
        /// Size of the file.
        public var fileBytes: Int
    }

    /// Loads `path` `repetitions` times (the first load is timed too: nothing is cached but the
    /// page cache) and reports timings and peak memory. Run it in a fresh process for a
    /// meaningful peak RSS.
    public static func run(path: String, repetitions: Int = 3) throws -> Result {
        PeakMemory.reset()
        let before = PeakMemory.residentBytes()
        var seconds: [Double] = []
        var tensors = 0, elements = 0
        for _ in 0..<max(repetitions, 1) {
            let (dict, s) = try Timing.timed { try loadCheckpoint(path) }
            seconds.append(s)
            tensors = dict.count
            elements = dict.entries.reduce(0) { $0 + $1.tensor.count }
        }
        var st = stat()
        let size = stat(path, &st) == 0 ? Int(st.st_size) : 0
        return Result(seconds: seconds, medianSeconds: Timing.median(seconds), rssBeforeBytes: before,
                      peakRSSBytes: PeakMemory.peakBytes(), tensorCount: tensors, elementCount: elements, fileBytes: size)
    }
}

// Measures `loadCheckpoint` on one file: wall time per load (median of several) and the
// process's peak resident set (VmHWM), for `vision bench checkpoints` and
// Scripts/bench_checkpoints.py, which compares against torch.load in the same run.

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
        resetPeakRSS()
        let before = status("VmRSS:")
        var seconds: [Double] = []
        var tensors = 0, elements = 0
        for _ in 0..<max(repetitions, 1) {
            let start = now()
            let dict = try loadCheckpoint(path)
            seconds.append(now() - start)
            tensors = dict.count
            elements = dict.entries.reduce(0) { $0 + $1.tensor.count }
        }
        var st = stat()
        let size = stat(path, &st) == 0 ? Int(st.st_size) : 0
        let sorted = seconds.sorted()
        return Result(seconds: seconds, medianSeconds: sorted[sorted.count / 2], rssBeforeBytes: before,
                      peakRSSBytes: peakRSS(), tensorCount: tensors, elementCount: elements, fileBytes: size)
    }

    /// The process's peak resident set size (Linux `VmHWM`), in bytes.
    public static func peakRSS() -> Int? { status("VmHWM:") }

    /// Resets the peak resident set to the current one (Linux: `echo 5 > /proc/self/clear_refs`).
    public static func resetPeakRSS() {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return }
        fputs("5", f)
        fclose(f)
    }

    /// A size field of /proc/self/status (`VmRSS:`, `VmHWM:`), in bytes.
    static func status(_ field: String) -> Int? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix(field) {
                let digits = text.filter(\.isNumber)
                return Int(digits).map { $0 * 1024 }
            }
        }
        return nil
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

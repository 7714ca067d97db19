// `vision bench allreduce`: the speed of MPI all-reduce between the ranks of an mpirun job, and a
// check that every collective of Distributed gives exact results.
//
// Design. Each size is timed in rounds: barrier, then MPI_Allreduce (sum, float, in place) alone,
// barrier, then our bounded path (MPI_Iallreduce + the polling wait every Distributed collective
// uses), so the cost of the time bound is measured next to the plain call. A round's time is the
// slowest rank's (an all-reduce of the times, outside the timed region); the report gives the median
// over rounds. Bandwidths follow nccl-tests: algorithm bandwidth = bytes / time, bus bandwidth =
// algorithm bandwidth × 2(N−1)/N (the bytes each rank's link carries in a ring all-reduce), so bus
// bandwidths compare across rank counts. The buffers hold zeros, so repeated sums stay finite.
// The check fills buffers with rank-dependent integers whose sums are exact in float, then makes
// every rank agree on the first failure (lowest failing rank broadcasts its message).
import VisionMPI
import Foundation

/// The all-reduce bandwidth benchmark and the collectives check behind `vision bench allreduce`.
public enum AllReduceBenchmark {
    /// Buffer sizes in bytes timed by default: 4 KB to 64 MB in powers of 4.
    public static let defaultSizes = (0...7).map { 4096 << (2 * $0) }
    /// The sizes `--sizes small` names: 4 KB, 64 KB, 1 MB.
    public static let smallSizes = [4096, 65536, 1 << 20]

    /// One timed size.
    public struct Row: Sendable, Codable, Equatable {
        /// Buffer size in bytes (float32 elements × 4).
        public var bytes: Int
        /// Median seconds of MPI_Allreduce (slowest rank per round).
        public var seconds: Double
        /// bytes / seconds.
        public var algorithmBandwidth: Double
        /// algorithmBandwidth × 2(N−1)/N (nccl-tests' bus bandwidth).
        public var busBandwidth: Double
        /// Median seconds of the bounded path (MPI_Iallreduce + polling wait).
        public var boundedSeconds: Double
        /// Bus bandwidth of the bounded path.
        public var boundedBusBandwidth: Double
    }

    /// What a timed run reports.
    public struct Result: Sendable, Codable {
        /// Ranks in MPI_COMM_WORLD.
        public var worldSize: Int
        /// MPI_Get_processor_name of every rank, by rank.
        public var processorNames: [String]
        /// Timed rounds per size.
        public var repeats: Int
        public var rows: [Row]
    }

    /// What `--check` reports.
    public struct CheckResult: Sendable, Codable, Equatable {
        public var ranks: Int
        /// The sizes checked, bytes.
        public var sizes: [Int]
        /// The first wrong value (of the lowest failing rank), nil when every check passed.
        public var failure: String?
        public var passed: Bool { failure == nil }
    }

    /// Parses `--sizes`: "default", "small", or a comma list of byte sizes with an optional K, M or
    /// G suffix (powers of 1024), each a positive multiple of 4 up to 1 GB.
    public static func parseSizes(_ text: String) -> [Int]? {
        switch text.lowercased() {
        case "default", "all": return defaultSizes
        case "small": return smallSizes
        default: break
        }
        var sizes: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var digits = part.trimmingCharacters(in: .whitespaces).uppercased()
            if digits.hasSuffix("B") { digits.removeLast() }
            var scale = 1
            if let last = digits.last, let power = ["K": 10, "M": 20, "G": 30][String(last)] {
                scale = 1 << power
                digits.removeLast()
            }
            guard let value = Int(digits), value > 0, value <= (1 << 30) / scale else { return nil }
            let bytes = value * scale
            guard bytes % 4 == 0 else { return nil }
            sizes.append(bytes)
        }
        return sizes.isEmpty ? nil : sizes
    }

    /// "4 KB", "64 MB", "1000 B".
    public static func formatBytes(_ bytes: Int) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KB" }
        return "\(bytes) B"
    }

    /// nccl-tests' bus bandwidth of an all-reduce of `bytes` taking `seconds` on `ranks` ranks.
    public static func busBandwidth(bytes: Int, seconds: Double, ranks: Int) -> Double {
        guard seconds > 0, ranks > 0 else { return 0 }
        return Double(bytes) / seconds * 2 * Double(ranks - 1) / Double(ranks)
    }

    /// Every rank's processor name, by rank (each rank broadcasts its own in turn).
    public static func processorNames(_ comm: MPICommunicator) throws(DistributedError) -> [String] {
        var names: [String] = []
        for root in 0..<comm.size {
            var bytes = root == comm.rank ? Array(comm.processorName.utf8) : []
            try comm.broadcast(&bytes, root: root)
            names.append(String(decoding: bytes, as: UTF8.self))
        }
        return names
    }

    /// Times MPI_Allreduce and the bounded all-reduce at every size: `repeats` rounds after one
    /// warm-up. Every rank must call it with the same arguments.
    public static func run(_ comm: MPICommunicator, sizes: [Int], repeats: Int) throws(DistributedError) -> Result {
        let names = try processorNames(comm)
        var rows: [Row] = []
        for bytes in sizes {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: bytes / 4)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0)
            try comm.unboundedAllReduceSum(buffer)
            try comm.allReduceSum(buffer)
            var plain: [Double] = [], bounded: [Double] = []
            for _ in 0..<max(1, repeats) {
                try comm.barrier()
                plain.append(try comm.allReduceMax(try timed { () throws(DistributedError) in try comm.unboundedAllReduceSum(buffer) }))
                try comm.barrier()
                bounded.append(try comm.allReduceMax(try timed { () throws(DistributedError) in try comm.allReduceSum(buffer) }))
            }
            let seconds = Timing.median(plain), boundedSeconds = Timing.median(bounded)
            rows.append(Row(bytes: bytes, seconds: seconds, algorithmBandwidth: seconds > 0 ? Double(bytes) / seconds : 0,
                            busBandwidth: busBandwidth(bytes: bytes, seconds: seconds, ranks: comm.size),
                            boundedSeconds: boundedSeconds,
                            boundedBusBandwidth: busBandwidth(bytes: bytes, seconds: boundedSeconds, ranks: comm.size)))
        }
        return Result(worldSize: comm.size, processorNames: names, repeats: max(1, repeats), rows: rows)
    }

    private static func timed(_ body: () throws(DistributedError) -> Void) throws(DistributedError) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The header line: the machine's, then the world size and every rank's host.
    public static func header(_ r: Result) -> String {
        MachineBenchmark.header() + " · MPI: \(r.worldSize) rank\(r.worldSize == 1 ? "" : "s") on "
            + r.processorNames.joined(separator: ", ")
    }

    /// The report as aligned text lines.
    public static func format(_ r: Result) -> String {
        var lines = [header(r),
                     "MPI_Allreduce (sum, float32, in place), median of \(r.repeats) rounds (the slowest rank's time per round); "
                     + "bus bandwidth = bytes/time × 2(N−1)/N; bounded: MPI_Iallreduce + polling wait (what training uses)",
                     pad("size", 10) + pad("seconds", 12) + pad("alg GB/s", 10) + pad("bus GB/s", 10)
                     + pad("bounded s", 12) + "bounded bus GB/s"]
        for row in r.rows {
            lines.append(pad(formatBytes(row.bytes), 10) + pad(String(format: "%.3e", row.seconds), 12)
                + pad(String(format: "%.3f", row.algorithmBandwidth / 1e9), 10) + pad(String(format: "%.3f", row.busBandwidth / 1e9), 10)
                + pad(String(format: "%.3e", row.boundedSeconds), 12) + String(format: "%.3f", row.boundedBusBandwidth / 1e9))
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

// `vision bench allreduce --check`: every collective of Distributed on rank-dependent values whose
// results are exact, compared element by element on every rank.
import VisionMPI

extension AllReduceBenchmark {
    /// Runs the check at every size on every rank: float sums through the bounded path, MPI_Allreduce
    /// and a started all-reduce, double and int64 sums, byte and float broadcasts from the last and
    /// the first rank, max and min. Element i of rank r's float buffer is r·1000 + i mod 97, so
    /// every sum is an integer below 2^24 and exact. All ranks return the same result.
    public static func check(_ comm: MPICommunicator, sizes: [Int]) throws(DistributedError) -> CheckResult {
        var failure: String? = nil
        func fail(_ what: String) { if failure == nil { failure = "rank \(comm.rank): " + what } }
        let n = comm.size, r = comm.rank
        let rankSum = 1000 * n * (n - 1) / 2
        for bytes in sizes {
            let count = bytes / 4, label = formatBytes(bytes)
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            let paths: [(String, (UnsafeMutableBufferPointer<Float>) throws(DistributedError) -> Void)] = [
                ("allReduceSum", { b throws(DistributedError) in try comm.allReduceSum(b) }),
                ("MPI_Allreduce", { b throws(DistributedError) in try comm.unboundedAllReduceSum(b) }),
                ("startAllReduceSum", { b throws(DistributedError) in
                    let pending = try comm.startAllReduceSum(b)
                    if try !pending.poll() { try pending.wait() }
                }),
            ]
            for (name, reduce) in paths {
                for i in 0..<count { buffer[i] = Float(r * 1000 + i % 97) }
                try reduce(buffer)
                if let i = (0..<count).first(where: { buffer[$0] != Float(rankSum + n * ($0 % 97)) }) {
                    fail("float sum (\(name), \(label)) element \(i): got \(buffer[i]), expected \(rankSum + n * (i % 97))")
                }
            }

            var doubles = (0..<count).map { Double(r * 1000 + $0 % 97) + 0.5 }
            try comm.allReduceSum(&doubles)
            if let i = doubles.indices.first(where: { doubles[$0] != Double(rankSum + n * ($0 % 97)) + 0.5 * Double(n) }) {
                fail("double sum (\(label)) element \(i): got \(doubles[i]), expected \(Double(rankSum + n * (i % 97)) + 0.5 * Double(n))")
            }
            var integers = (0..<count).map { Int64(r) * 1_000_000_007 + Int64($0) }
            try comm.allReduceSum(&integers)
            let base = Int64(n * (n - 1) / 2) * 1_000_000_007
            if let i = integers.indices.first(where: { integers[$0] != base + Int64(n) * Int64($0) }) {
                fail("int64 sum (\(label)) element \(i): got \(integers[i]), expected \(base + Int64(n) * Int64(i))")
            }

            let root = n - 1
            let pattern = { (i: Int) in UInt8(truncatingIfNeeded: i * 31 + root) }
            var bytesOut = r == root ? (0..<bytes).map(pattern) : [UInt8](repeating: 0xEE, count: r + 1)
            try comm.broadcast(&bytesOut, root: root)
            if bytesOut.count != bytes {
                fail("byte broadcast (\(label)) from rank \(root): got \(bytesOut.count) bytes, expected \(bytes)")
            } else if let i = bytesOut.indices.first(where: { bytesOut[$0] != pattern($0) }) {
                fail("byte broadcast (\(label)) from rank \(root) byte \(i): got \(bytesOut[i]), expected \(pattern(i))")
            }
            for i in 0..<count { buffer[i] = r == 0 ? Float(i % 1000) : -1 }
            try comm.broadcast(buffer, root: 0)
            if let i = (0..<count).first(where: { buffer[$0] != Float($0 % 1000) }) {
                fail("float broadcast (\(label)) from rank 0 element \(i): got \(buffer[i]), expected \(i % 1000)")
            }
        }
        let maximum = try comm.allReduceMax(Double(r) + 0.25), minimum = try comm.allReduceMin(Double(r) + 0.25)
        if maximum != Double(n - 1) + 0.25 { fail("allReduceMax: got \(maximum), expected \(Double(n - 1) + 0.25)") }
        if minimum != 0.25 { fail("allReduceMin: got \(minimum), expected 0.25") }
        try comm.barrier()

        // Agree: the lowest failing rank's message goes to everyone.
        let firstFailing = Int(try comm.allReduceMin(Double(failure == nil ? n : r)))
        if firstFailing < n {
            var message = Array((failure ?? "").utf8)
            try comm.broadcast(&message, root: firstFailing)
            failure = String(decoding: message, as: UTF8.self)
        }
        return CheckResult(ranks: n, sizes: sizes, failure: failure)
    }

    /// "allreduce check passed: N ranks, ..." or "allreduce check failed: <first wrong value>".
    public static func format(_ c: CheckResult) -> String {
        if let failure = c.failure { return "allreduce check failed: " + failure }
        let sizes = c.sizes.map(formatBytes).joined(separator: ", ")
        return "allreduce check passed: \(c.ranks) rank\(c.ranks == 1 ? "" : "s"), sizes \(sizes): float sums "
            + "(bounded, MPI_Allreduce, started), double and int64 sums, byte and float broadcasts, max and min exact"
    }
}

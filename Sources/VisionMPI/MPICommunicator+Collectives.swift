// The collectives: all-reduce, broadcast, barrier. Every blocking one is its nonblocking form
// (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier) plus the bounded wait, so none can hang past
// `timeout`. Buffers above Int32.max elements (MPI counts are int) go as several requests.
import CMPI

extension MPICommunicator {
    /// The largest element count of one MPI call.
    static let maxCount = Int(Int32.max)

    /// Sums `buffer` over all ranks, in place (every rank ends with the sum).
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        try startAllReduceSum(buffer).wait()
    }

    /// Sums `values` over all ranks, in place. Every rank must pass the same count.
    public func allReduceSum(_ values: inout [Double]) throws(DistributedError) {
        try values.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Double>) throws(DistributedError) in
            var pending = try start(b, VMPI_SUM, "MPI_Iallreduce(sum, double)", vmpi_iallreduce_f64)
            try pending.wait()
        }
    }

    /// Sums `values` over all ranks, in place (exact: integers). Every rank must pass the same count.
    public func allReduceSum(_ values: inout [Int64]) throws(DistributedError) {
        try values.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int64>) throws(DistributedError) in
            var pending = try start(b, VMPI_SUM, "MPI_Iallreduce(sum, int64)", vmpi_iallreduce_i64)
            try pending.wait()
        }
    }

    /// The sum of `value` over all ranks.
    public func allReduceSum(_ value: Int64) throws(DistributedError) -> Int64 {
        var values = [value]
        try allReduceSum(&values)
        return values[0]
    }

    /// The largest `value` of all ranks.
    public func allReduceMax(_ value: Double) throws(DistributedError) -> Double {
        try reduce(value, VMPI_MAX, "MPI_Iallreduce(max, double)")
    }

    /// The smallest `value` of all ranks.
    public func allReduceMin(_ value: Double) throws(DistributedError) -> Double {
        try reduce(value, VMPI_MIN, "MPI_Iallreduce(min, double)")
    }

    /// Starts summing `buffer` over all ranks, in place, and returns at once; the sum is there once
    /// the returned operation completes. Until then the buffer belongs to MPI (keep it alive,
    /// do not read or write it). Every rank must start the same all-reduces in the same order.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) -> PendingAllReduce {
        PendingAllReduce(try start(buffer, VMPI_SUM, "MPI_Iallreduce(sum, float)", vmpi_iallreduce_f32))
    }

    /// MPI_Allreduce itself (sum, in place), with no time bound: for comparisons in benchmarks. A
    /// dead peer makes it hang; training uses `allReduceSum`.
    public func unboundedAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        try enter("MPI_Allreduce")
        for range in chunks(buffer.count) {
            try check(vmpi_allreduce_f32(buffer.baseAddress.map { $0 + range.lowerBound }, range.count, VMPI_SUM),
                      "MPI_Allreduce(sum, float)")
        }
    }

    /// Makes `bytes` on every rank equal to `bytes` on `root`, resizing it: the count goes first.
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws(DistributedError) {
        var count = [Int64(bytes.count)]
        try count.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int64>) throws(DistributedError) in
            try broadcastRaw(UnsafeMutableRawBufferPointer(b), root: root)
        }
        guard count[0] >= 0, count[0] <= Int64(Int.max / 2) else {
            throw .mpiError(operation: "MPI_Ibcast", code: 0, message: "root \(root) sent an impossible byte count \(count[0])")
        }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count[0])) }
        try bytes.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<UInt8>) throws(DistributedError) in
            try broadcastRaw(UnsafeMutableRawBufferPointer(b), root: root)
        }
    }

    /// Makes `buffer` on every rank equal to `buffer` on `root` (every rank passes the same count).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws(DistributedError) {
        try broadcastRaw(UnsafeMutableRawBufferPointer(buffer), root: root)
    }

    /// Returns once every rank has called it (MPI_Ibarrier + the bounded wait).
    public func barrier() throws(DistributedError) {
        try enter("MPI_Ibarrier")
        var request: vmpi_request? = nil
        try check(vmpi_ibarrier(&request), "MPI_Ibarrier")
        var pending = PendingRequests(communicator: self, operation: "MPI_Ibarrier", requests: [request])
        try pending.wait()
    }

    // MARK: - Helpers

    private func reduce(_ value: Double, _ op: vmpi_op, _ operation: String) throws(DistributedError) -> Double {
        var values = [value]
        try values.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Double>) throws(DistributedError) in
            var pending = try start(b, op, operation, vmpi_iallreduce_f64)
            try pending.wait()
        }
        return values[0]
    }

    private func broadcastRaw(_ raw: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {
        try enter("MPI_Ibcast")
        guard root >= 0, root < size else {
            throw .mpiError(operation: "MPI_Ibcast", code: 0, message: "root \(root) is not a rank of 0..<\(size)")
        }
        var requests: [vmpi_request?] = []
        var pending = PendingRequests(communicator: self, operation: "MPI_Ibcast(root \(root))", requests: [])
        for range in chunks(raw.count) {
            var request: vmpi_request? = nil
            let code = vmpi_ibcast(raw.baseAddress.map { $0 + range.lowerBound }, range.count, Int32(root), &request)
            if code != 0 {
                pending.requests = requests
                try? pending.wait()  // let the chunks already started finish before the buffer goes
                try check(code, "MPI_Ibcast(root \(root))")
            }
            requests.append(request)
        }
        pending.requests = requests
        try pending.wait()
    }

    /// Starts MPI_Iallreduce on `buffer` in ≤ `maxCount`-element chunks.
    private func start<T>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: vmpi_op, _ operation: String,
                          _ call: (UnsafeMutablePointer<T>?, Int, vmpi_op, UnsafeMutablePointer<vmpi_request?>?) -> Int32)
        throws(DistributedError) -> PendingRequests {
        try enter(operation)
        var pending = PendingRequests(communicator: self, operation: operation, requests: [])
        for range in chunks(buffer.count) {
            var request: vmpi_request? = nil
            let code = call(buffer.baseAddress.map { $0 + range.lowerBound }, range.count, op, &request)
            if code != 0 {
                try? pending.wait()  // let the chunks already started finish before the buffer goes
                try check(code, operation)
            }
            pending.requests.append(request)
        }
        return pending
    }

    /// `0..<count` in pieces of at most `maxCount` (one empty piece for 0: ranks still take part).
    private func chunks(_ count: Int) -> [Range<Int>] {
        if count == 0 { return [0..<0] }
        return stride(from: 0, to: count, by: Self.maxCount).map { $0..<min($0 + Self.maxCount, count) }
    }
}

// Gradient averaging for data-parallel training, overlapped with backward (PyTorch DDP's reducer).
// The trainable parameters, in reverse registration order (the order backward finishes them,
// roughly), are cut into buckets: the first of `firstBucketBytes`, the rest of `bucketBytes` (DDP's
// 1 MB and 25 MB). Backward reports each parameter's gradient as soon as it is final; it is copied
// into its bucket's flat buffer, and a bucket whose gradients are all in starts a nonblocking sum
// all-reduce while backward computes the layers before it. Buckets start strictly in index order
// (every rank must issue the collectives in the same order), and every report polls the
// reductions in flight, since MPI progresses a nonblocking collective only inside MPI calls.
// `finish` starts what is left (a parameter without a gradient this step contributes zeros and
// keeps no gradient), waits, and writes gradient = sum / world size back to every parameter.
import NN
import Tensors

final class GradientReducer {
    private struct Slot { let bucket: Int, index: Int, offset: Int, count: Int }
    private struct Bucket {
        var parameters: [(parameter: Parameter, slot: Slot)] = []
        var count = 0
        var buffer: UnsafeMutableBufferPointer<Float> = .init(start: nil, count: 0)
        var arrived = 0
        var pending: (any PendingReduction)?
    }

    let group: any ProcessGroup
    private var buckets: [Bucket] = []
    private var slots: [ObjectIdentifier: Slot] = [:]
    private var hasGradient: [[Bool]] = []
    private var nextToStart = 0
    private var failure: (any Error)?

    /// DDP's defaults: a small first bucket so that communication starts early, then 25 MB buckets.
    static let firstBucketBytes = 1 << 20, bucketBytes = 25 << 20

    init(parameters: [Parameter], group: any ProcessGroup, firstBucketBytes: Int = firstBucketBytes,
         bucketBytes: Int = bucketBytes) {
        self.group = group
        var current = Bucket()
        for p in parameters.reversed() where p.requiresGrad {
            let cap = (buckets.isEmpty ? firstBucketBytes : bucketBytes) / MemoryLayout<Float>.stride
            if current.count > 0 && current.count + p.value.count > cap {
                buckets.append(current)
                current = Bucket()
            }
            current.parameters.append((p, Slot(bucket: buckets.count, index: current.parameters.count, offset: current.count,
                                               count: p.value.count)))
            current.count += p.value.count
        }
        if current.count > 0 { buckets.append(current) }
        for i in buckets.indices {
            buckets[i].buffer = .allocate(capacity: buckets[i].count)
        }
        hasGradient = buckets.map { [Bool](repeating: false, count: $0.parameters.count) }
    }

    deinit {
        for b in buckets { b.buffer.deallocate() }
    }

    /// Bytes of gradient all-reduced per step.
    var bytesPerStep: Int { buckets.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.stride }

    /// Readies the buckets for the next backward (a parameter's graph key changes when its value is
    /// replaced, e.g. by loading a state dict, so the keys are read afresh).
    func beginStep() {
        slots.removeAll(keepingCapacity: true)
        for (b, bucket) in buckets.enumerated() {
            for (i, entry) in bucket.parameters.enumerated() {
                if let key = entry.parameter.value.gradientKey { slots[key] = entry.slot }
                hasGradient[b][i] = false
            }
            buckets[b].arrived = 0
            buckets[b].pending = nil
        }
        nextToStart = 0
        failure = nil
    }

    /// Backward's report of a final leaf gradient (`Tensor.backward(leafReady:)`).
    func leafReady(_ key: ObjectIdentifier, _ gradient: Tensor) {
        guard failure == nil else { return }
        do {
            try pollInFlight()
            guard let slot = slots.removeValue(forKey: key) else { return }
            gradient.withUnsafeBufferPointer { g in
                _ = UnsafeMutableBufferPointer(rebasing: buckets[slot.bucket].buffer[slot.offset..<(slot.offset + slot.count)])
                    .update(fromContentsOf: g)
            }
            hasGradient[slot.bucket][slot.index] = true
            buckets[slot.bucket].arrived += 1
            try startReadyBuckets()
        } catch {
            failure = error
        }
    }

    /// Starts every remaining bucket, waits for all, and sets each parameter's gradient to the
    /// average over the processes.
    func finish() throws {
        if let failure { throw failure }
        for b in nextToStart..<buckets.count {
            for (i, entry) in buckets[b].parameters.enumerated() where !hasGradient[b][i] {
                let slot = entry.slot
                UnsafeMutableBufferPointer(rebasing: buckets[b].buffer[slot.offset..<(slot.offset + slot.count)]).update(repeating: 0)
            }
            buckets[b].arrived = buckets[b].parameters.count
        }
        try startReadyBuckets()
        let scale = 1 / Float(group.size)
        for b in buckets.indices {
            try buckets[b].pending?.wait()
            buckets[b].pending = nil
            for (i, entry) in buckets[b].parameters.enumerated() where hasGradient[b][i] {
                let slot = entry.slot
                var averaged = Tensor(uninitializedShape: entry.parameter.shape)
                averaged.withUnsafeMutableBufferPointer { out in
                    let src = buckets[b].buffer.baseAddress! + slot.offset
                    for j in 0..<slot.count { out[j] = src[j] * scale }
                }
                entry.parameter.grad = averaged
            }
        }
    }

    private func startReadyBuckets() throws {
        while nextToStart < buckets.count && buckets[nextToStart].arrived == buckets[nextToStart].parameters.count {
            buckets[nextToStart].pending = try group.beginAllReduceSum(buckets[nextToStart].buffer)
            nextToStart += 1
        }
    }

    private func pollInFlight() throws {
        for b in 0..<nextToStart where buckets[b].pending != nil {
            if try buckets[b].pending!.poll() { buckets[b].pending = nil }
        }
    }
}

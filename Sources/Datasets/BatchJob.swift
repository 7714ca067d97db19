// Making one batch of an epoch: everything a worker thread needs, as an immutable Sendable value.
// A dataset with a direct path (DirectBatchDataset) writes the whole batch into the batch tensor;
// otherwise each sample is read with its own generator and copied into the batch tensor as it
// arrives (no list of per-sample tensors is kept).
import Tensors

/// What became of one batch.
enum BatchOutcome: Sendable {
    /// The batch (possibly with fewer samples than asked) and the samples left out of it.
    case batch(Batch?, skipped: [SkippedSample])
    /// A sample failed and the loader is strict (or the samples' shapes differ).
    case failure(any Error)
    /// The stream was dropped while the batch was being made.
    case cancelled
}

/// The batches of one epoch.
struct BatchJob: Sendable {
    let dataset: any Dataset
    /// The epoch's dataset indices, in batch order.
    let order: [Int]
    let batchSize: Int
    let seed: UInt64
    let epoch: Int
    let strict: Bool

    var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    func indices(of batch: Int) -> [Int] {
        let start = batch * batchSize
        return Array(order[start..<min(start + batchSize, order.count)])
    }

    /// Makes batch `b`; `stop` is polled between samples.
    func make(_ b: Int, stop: () -> Bool) -> BatchOutcome {
        let indices = indices(of: b)
        if let direct = dataset as? any DirectBatchDataset, let shape = direct.directSampleShape {
            do {
                var images = Tensor(uninitializedShape: [indices.count] + shape)
                let labels = try images.withUnsafeMutableBufferPointer { try direct.writeSamples(indices, into: $0) }
                return .batch(Batch(images: images, labels: labels, indices: indices), skipped: [])
            } catch {
                return .failure(error)
            }
        }
        var images: Tensor?
        var shape: [Int] = [], sampleSize = 0
        var labels: [Int] = [], kept: [Int] = [], skipped: [SkippedSample] = []
        for i in indices {
            if stop() { return .cancelled }
            var rng = DataLoader.sampleGenerator(seed: seed, epoch: epoch, index: i)
            let sample: (image: Tensor, label: Int)
            do {
                sample = try dataset.sample(at: i, using: &rng)
            } catch {
                if strict { return .failure(error) }
                skipped.append(SkippedSample(index: i, batch: b, error: error))
                continue
            }
            if images == nil {
                shape = sample.image.shape
                sampleSize = sample.image.count
                images = Tensor(uninitializedShape: [indices.count] + shape)
            }
            guard sample.image.shape == shape else {
                return .failure(DatasetError(.sample, path: "", "sample \(i) has shape \(sample.image.shape) but sample \(kept[0]) of the same batch has \(shape): "
                    + "the samples of a batch need one shape (resize or crop them in the transform)"))
            }
            let slot = kept.count
            if sampleSize > 0 { images!.withUnsafeMutableBufferPointer { dst in
                sample.image.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + slot &* sampleSize).update(from: src.baseAddress!, count: sampleSize)
                }
            } }
            labels.append(sample.label)
            kept.append(i)
        }
        guard var full = images else { return .batch(nil, skipped: skipped) }
        if kept.count < indices.count { full = full.narrow(dim: 0, start: 0, length: kept.count).clone() }
        return .batch(Batch(images: full, labels: labels, indices: kept), skipped: skipped)
    }
}

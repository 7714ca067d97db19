// torch.utils.data.DataLoader for map-style datasets: batches in a seeded order, each sample
// decoded and transformed on worker threads, delivered in order (DataLoaderStream.swift).
//
// Reproducibility is the design constraint: the batches of an epoch are a function of (seed,
// epoch) only — not of the worker count, of timing, or of where the epoch was resumed.
// - The order is PyTorch's: the (epoch+1)-th torch.randperm of a generator seeded with `seed`
//   (`torchEpochOrder`, Shuffle.swift), so a seed gives the batches a PyTorch loop gets.
// - Sample i's transforms draw from their own RandomGenerator(seed: mix(seed, epoch, i)), so it
//   does not matter which thread makes it, or whether the batches before it were made at all.
import Foundation
import Tensors
import Traps

/// A sample that could not be read and was left out of its batch (non-strict loaders).
public struct SkippedSample: Sendable {
    /// The dataset index.
    public var index: Int
    /// The batch (of its epoch) it belonged to.
    public var batch: Int
    /// Why: an `ImageError` or `DatasetError` naming the file, or the dataset's own error.
    public var error: any Error
}

/// Batches of a dataset, shuffled with a seed, loaded by worker threads (torch's `DataLoader`).
///
/// ```swift
/// let loader = DataLoader(train, batchSize: 32, shuffle: true, seed: 42)
/// let stream = loader.batches(epoch: 0, from: 0)
/// while let batch = try stream.next() { ... }
/// ```
public struct DataLoader: BatchSource, Sendable {
    /// The dataset batches are drawn from.
    public let dataset: any Dataset
    /// Samples per batch (the last batch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether each epoch visits the samples in a new random order.
    public let shuffle: Bool
    /// Whether to drop the last batch when it is incomplete.
    public let dropLast: Bool
    /// The seed of the shuffling order and of every sample's random transforms.
    public let seed: UInt64
    /// Threads decoding and transforming samples; 0 loads in the thread that calls `next()`.
    public let workers: Int
    /// Batches made ahead of the consumer at most (bounds memory).
    public let prefetch: Int
    /// Whether a sample that cannot be read makes `next()` throw (true) or is skipped (false).
    public let strict: Bool
    /// Told about each skipped sample, in batch order, on the consumer's thread.
    public let onSkip: (@Sendable (SkippedSample) -> Void)?
    /// In data-parallel training, the share of every epoch this process takes (torch's
    /// `DistributedSampler`, DistributedShard.swift); nil: the whole data set.
    public let shard: DistributedShard?

    /// The default worker count: `VISION_DATA_WORKERS` if set, else the number of active cores.
    public static var defaultWorkers: Int {
        if let v = ProcessInfo.processInfo.environment["VISION_DATA_WORKERS"].flatMap(Int.init), v >= 0 { return v }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Prints "warning: skipped sample I: <error>" to standard error.
    public static let printWarning: @Sendable (SkippedSample) -> Void = { s in
        FileHandle.standardError.write(Data("warning: skipped sample \(s.index): \(s.error)\n".utf8))
    }

    /// A loader over `dataset`. `workers` defaults to `defaultWorkers`, `prefetch` to 2 × workers.
    public init(_ dataset: any Dataset, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
                seed: UInt64 = 0, workers: Int? = nil, prefetch: Int? = nil, strict: Bool = false,
                onSkip: (@Sendable (SkippedSample) -> Void)? = DataLoader.printWarning, shard: DistributedShard? = nil) {
        trapUnless(batchSize >= 1, "DataLoader: batchSize must be at least 1, got \(batchSize)")
        let w = workers ?? DataLoader.defaultWorkers
        trapUnless(w >= 0, "DataLoader: workers must be >= 0, got \(w)")
        let p = prefetch ?? max(2 * w, 1)
        trapUnless(p >= 1, "DataLoader: prefetch must be at least 1, got \(p)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.workers = w
        self.prefetch = p
        self.strict = strict
        self.onSkip = onSkip
        self.shard = shard
    }

    /// The samples this process visits in an epoch before `dropLast`: the data set's, or its shard's.
    private var visited: Int { shard?.sampleCount(of: dataset.count) ?? dataset.count }
    public var samplesPerEpoch: Int { dropLast ? visited / batchSize * batchSize : visited }
    public var batchesPerEpoch: Int { dropLast ? visited / batchSize : (visited + batchSize - 1) / batchSize }
    public var classes: [String] { dataset.classes }

    /// The generator sample `index` draws its random transforms from in `epoch`.
    public static func sampleGenerator(seed: UInt64, epoch: Int, index: Int) -> RandomGenerator {
        RandomGenerator(seed: Seeds.mix(seed, UInt64(bitPattern: Int64(epoch)), UInt64(bitPattern: Int64(index))))
    }

    /// The dataset indices of `epoch` in the order they are batched (after `dropLast`); with a
    /// `shard`, this process's share of the order every rank draws.
    public func order(epoch: Int) -> [Int] {
        var order: [Int]
        if let shard {
            order = shard.indices(count: dataset.count, shuffle: shuffle, seed: seed, epoch: epoch)
        } else if shuffle {
            order = torchEpochOrder(count: dataset.count, seed: seed, epoch: epoch)
        } else {
            order = Array(0..<dataset.count)
        }
        if dropLast { order.removeLast(order.count - samplesPerEpoch) }
        return order
    }

    public func batches(epoch: Int, from firstBatch: Int = 0) -> any BatchStream {
        stream(epoch: epoch, from: firstBatch)
    }

    /// The batches of `epoch` from `firstBatch` on; earlier batches are never decoded.
    public func stream(epoch: Int, from firstBatch: Int = 0) -> DataLoaderStream {
        trapUnless(firstBatch >= 0, "DataLoader: firstBatch must be >= 0, got \(firstBatch)")
        let job = BatchJob(dataset: dataset, order: order(epoch: epoch), batchSize: batchSize,
                           seed: seed, epoch: epoch, strict: strict)
        return DataLoaderStream(job: job, from: min(firstBatch, batchesPerEpoch), workers: workers,
                                prefetch: prefetch, onSkip: onSkip)
    }
}

// The interface between datasets, the DataLoader and the training loop. A dataset is an indexed
// collection of (CHW tensor, class index) samples; reading a sample may decode a file and run
// random transforms, drawing only from the generator it is given, so that a sample's content is a
// function of (seed, epoch, index) whatever thread computes it.
import Tensors

/// A labelled image dataset with torchvision's map-style semantics (`len` + `__getitem__`).
public protocol Dataset: Sendable {
    /// Number of samples.
    var count: Int { get }
    /// Class names, in class-index order.
    var classes: [String] { get }
    /// Sample `index`: a CHW float tensor and its class index. Random transforms draw from `rng` only.
    func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int)
}

/// A batch: NCHW images and one class index per image.
public struct Batch: Sendable {
    /// Images stacked into one (N, C, H, W) tensor.
    public var images: Tensor
    /// Class index of each image.
    public var labels: [Int]
    /// Dataset indices of the samples in this batch (for error reports and evaluation output).
    public var indices: [Int]

    public init(images: Tensor, labels: [Int], indices: [Int]) {
        self.images = images
        self.labels = labels
        self.indices = indices
    }

    /// Number of samples in the batch.
    public var count: Int { labels.count }
}

/// Something that yields the batches of each epoch (the DataLoader; tests use in-memory sources).
/// The batches of an epoch are a function of the source's seed and the epoch number only, so a
/// run resumed at (epoch, batch) sees exactly what the uninterrupted run saw.
public protocol BatchSource {
    /// Number of batches in one epoch.
    var batchesPerEpoch: Int { get }
    /// Number of samples in one epoch (after `dropLast`).
    var samplesPerEpoch: Int { get }
    /// Class names of the underlying dataset.
    var classes: [String] { get }
    /// The batches of `epoch` (0-based), starting at batch `firstBatch` (for resuming mid-epoch).
    func batches(epoch: Int, from firstBatch: Int) -> any BatchStream
}

/// One pass over an epoch's batches. Dropping the stream stops any work it started.
public protocol BatchStream: AnyObject {
    /// The next batch, nil at the end of the epoch; throws when a sample cannot be read and the
    /// source is strict.
    func next() throws -> Batch?
    /// Samples skipped so far because they could not be read (non-strict sources).
    var skippedSamples: Int { get }
}

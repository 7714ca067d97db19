// The DataLoader's fast path: a dataset held in memory with no random transform can write a whole
// batch straight into the batch tensor (copy + scale + normalise in one loop) instead of making a
// tensor per sample and stacking them. At Fashion-MNIST's 28×28 the per-sample route would cost
// more than the copy itself.

/// A dataset that can write samples straight into a batch tensor (MNIST, Fashion-MNIST and
/// CIFAR-10 without a transform pipeline, and subsets of them).
///
/// The result must equal stacking `sample(at:using:)` of each index: the DataLoader uses this path
/// whenever `directSampleShape` is non-nil, and the batches must not depend on which path ran.
public protocol DirectBatchDataset: Dataset {
    /// The CHW shape every sample has when the direct path applies; nil when it does not (e.g. a
    /// random transform is set).
    var directSampleShape: [Int]? { get }
    /// Writes samples `indices` one after another into `images` (at least `indices.count` ×
    /// the shape's element count floats) and returns their labels.
    func writeSamples(_ indices: [Int], into images: UnsafeMutableBufferPointer<Float>) throws -> [Int]
}

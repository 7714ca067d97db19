// torch.utils.data.Subset and random_split: a view of a dataset through an index list, and seeded
// index splits, so that train and validation sets can come from one folder with different
// transforms (`Subset(folder.withTransform(train), indices: split.train)`).
import Tensors
import Traps

/// The samples of `dataset` at `indices`, in that order (torch's `Subset`).
public struct Subset: DirectBatchDataset {
    /// The underlying dataset.
    public let dataset: any Dataset
    /// Indices into `dataset`; sample `i` of the subset is sample `indices[i]` of the dataset.
    public let indices: [Int]

    public init(_ dataset: any Dataset, indices: [Int]) {
        let n = dataset.count
        for i in indices { trapUnless(i >= 0 && i < n, "Subset: index \(i) out of range 0..<\(n)") }
        self.dataset = dataset
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classes: [String] { dataset.classes }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        trapUnless(index >= 0 && index < indices.count, "Subset: index \(index) out of range 0..<\(indices.count)")
        return try dataset.sample(at: indices[index], using: &rng)
    }

    public var directSampleShape: [Int]? { (dataset as? any DirectBatchDataset)?.directSampleShape }

    public func writeSamples(_ subsetIndices: [Int], into images: UnsafeMutableBufferPointer<Float>) throws -> [Int] {
        guard let direct = dataset as? any DirectBatchDataset else {
            trap("Subset.writeSamples: \(type(of: dataset)) has no direct batch path")
        }
        return try direct.writeSamples(subsetIndices.map { indices[$0] }, into: images)
    }
}

/// Splits 0..<count into consecutive runs of a random permutation with the given lengths (torch's
/// `random_split` with integer lengths). The lengths must sum to `count`.
public func randomSplit(count: Int, lengths: [Int], seed: UInt64) -> [[Int]] {
    trapUnless(lengths.allSatisfy { $0 >= 0 } && lengths.reduce(0, +) == count,
               "randomSplit: lengths \(lengths) do not sum to the dataset size \(count)")
    var rng = RandomGenerator(seed: Seeds.mix(seed, 0x5350_4C49_54))  // "SPLIT"
    let order = randomPermutation(count, using: &rng)
    var out: [[Int]] = [], start = 0
    for n in lengths {
        out.append(Array(order[start..<(start + n)]))
        start += n
    }
    return out
}

/// Splits 0..<count by fractions summing to 1, as torch's `random_split`: each part gets
/// floor(count × fraction), and the remainder is dealt one by one to the parts in order.
public func randomSplit(count: Int, fractions: [Double], seed: UInt64) -> [[Int]] {
    trapUnless(!fractions.isEmpty && fractions.allSatisfy { (0...1).contains($0) } && abs(fractions.reduce(0, +) - 1) < 1e-9,
               "randomSplit: fractions \(fractions) must be in 0...1 and sum to 1")
    var lengths = fractions.map { Int((Double(count) * $0).rounded(.down)) }
    let remainder = count - lengths.reduce(0, +)
    for i in 0..<remainder { lengths[i % lengths.count] += 1 }
    return randomSplit(count: count, lengths: lengths, seed: seed)
}

/// A seeded train/validation split of 0..<count: `valFraction` of the indices (rounded as torch's
/// `random_split([1 - valFraction, valFraction])`) go to validation.
public func randomSplit(count: Int, valFraction: Double, seed: UInt64) -> (train: [Int], val: [Int]) {
    let parts = randomSplit(count: count, fractions: [1 - valFraction, valFraction], seed: seed)
    return (parts[0], parts[1])
}

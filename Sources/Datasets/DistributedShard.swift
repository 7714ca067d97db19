// One process's share of a data set in data-parallel training: torch's DistributedSampler.
// Every rank draws the same order — `torch.randperm(count)` of a generator seeded with seed + epoch
// (or 0..<count without shuffling) — pads it by repeating its head up to a multiple of the world
// size, and takes positions rank, rank + N, rank + 2N, … (torch/utils/data/distributed.py). The
// ranks' k-th batches of b samples therefore hold exactly the samples of a single process's k-th
// batch of N·b in the padded order, which is what makes N ranks step like one process.
// Validation shards are not padded (each sample is counted once when the ranks' counts are summed).
import Tensors
import Traps

/// Which samples of each epoch one rank of a data-parallel run takes (torch's `DistributedSampler`
/// with `drop_last=False`).
public struct DistributedShard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// This process's rank, in 0..<worldSize.
    public let rank: Int
    /// The number of processes sharing the data.
    public let worldSize: Int
    /// Whether the order is padded to a multiple of `worldSize` by repeating its head (training, as
    /// `DistributedSampler(drop_last=False)`: every rank gets the same count), or not (evaluation:
    /// every sample is seen once, the first `count % worldSize` ranks get one more).
    public let padded: Bool

    public init(rank: Int, worldSize: Int, padded: Bool = true) {
        trapUnless(worldSize >= 1 && rank >= 0 && rank < worldSize, "DistributedShard: rank \(rank) outside 0..<\(worldSize)")
        self.rank = rank
        self.worldSize = worldSize
        self.padded = padded
    }

    public var description: String { "rank \(rank) of \(worldSize)" }

    /// This rank's samples of a data set of `count`.
    public func sampleCount(of count: Int) -> Int {
        if padded { return count == 0 ? 0 : (count + worldSize - 1) / worldSize }
        return count / worldSize + (rank < count % worldSize ? 1 : 0)
    }

    /// The dataset indices this rank takes in `epoch`, in order: with `shuffle`, from the
    /// permutation torch's `DistributedSampler(shuffle=True, seed=seed)` draws after `set_epoch(epoch)`.
    public func indices(count: Int, shuffle: Bool, seed: UInt64, epoch: Int) -> [Int] {
        trapUnless(count >= 0 && epoch >= 0, "DistributedShard: negative count \(count) or epoch \(epoch)")
        guard count > 0 else { return [] }
        var order: [Int]
        if shuffle {
            var generator = TorchGenerator(seed: seed &+ UInt64(epoch))
            order = generator.randperm(count)
        } else {
            order = Array(0..<count)
        }
        if padded {
            let total = sampleCount(of: count) * worldSize
            var i = 0
            while order.count < total {
                order.append(order[i])
                i += 1
            }
        }
        return Array(stride(from: rank, to: order.count, by: worldSize).map { order[$0] })
    }
}

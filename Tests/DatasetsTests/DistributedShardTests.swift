// DistributedShard against torch's DistributedSampler (Scripts/make_distributed_sampler_fixture.py),
// and a DataLoader over shards: N ranks' k-th batches of b are one process's k-th batch of N·b.
import Datasets
import Foundation
import Testing
import Tensors
import TestSupport

@Suite struct DistributedShardTests {
    struct Case: Decodable {
        let count: Int, world_size: Int, seed: UInt64, shuffle: Bool, epoch: Int
        let ranks: [[Int]]
    }

    @Test func indicesMatchTorchDistributedSampler() {
        let cases = Fixtures.decode([Case].self, "distributed_sampler.json")
        #expect(cases.count == 18)
        for c in cases {
            for rank in 0..<c.world_size {
                let shard = DistributedShard(rank: rank, worldSize: c.world_size)
                let got = shard.indices(count: c.count, shuffle: c.shuffle, seed: c.seed, epoch: c.epoch)
                #expect(got == c.ranks[rank], "count \(c.count), \(shard), seed \(c.seed), epoch \(c.epoch)")
                #expect(shard.sampleCount(of: c.count) == c.ranks[rank].count)
            }
        }
    }

    @Test func unpaddedShardsCoverEverySampleOnce() {
        for (count, world) in [(10, 3), (2, 5), (0, 2), (9, 3)] {
            let shards = (0..<world).map { DistributedShard(rank: $0, worldSize: world, padded: false) }
            let all = shards.flatMap { $0.indices(count: count, shuffle: true, seed: 3, epoch: 2) }
            #expect(all.sorted() == Array(0..<count), "count \(count), world \(world)")
            #expect(shards.map { $0.sampleCount(of: count) }.reduce(0, +) == count)
        }
    }

    @Test func rankBatchesTogetherAreTheSingleProcessBatchesOfThePaddedOrder() throws {
        let data = SyntheticDataset(count: 21)
        let loaders = (0..<3).map {
            DataLoader(data, batchSize: 2, shuffle: true, seed: 9, workers: 0, shard: DistributedShard(rank: $0, worldSize: 3))
        }
        #expect(loaders.map(\.samplesPerEpoch) == [7, 7, 7])
        #expect(loaders.map(\.batchesPerEpoch) == [4, 4, 4])
        let order = (0..<3).map { loaders[$0].order(epoch: 1) }
        // Interleaving the ranks' orders gives back torch's permutation of seed + epoch.
        var generator = TorchGenerator(seed: 10)
        let permutation = generator.randperm(21)
        let interleaved: [Int] = (0..<21).map { (i: Int) -> Int in order[i % 3][i / 3] }
        #expect(interleaved == permutation)
        let batches = try loaders.map { try drain($0.stream(epoch: 1)) }
        for k in 0..<4 {
            let union = Set(batches.flatMap { $0[k].indices })
            let single = Set(permutation[(k * 6)..<min(k * 6 + 6, 21)])
            #expect(union == single, "batch \(k)")
        }
        // Sample values come from (seed, epoch, index): the same sample on any rank.
        let first = try drain(DataLoader(data, batchSize: 21, shuffle: true, seed: 9, workers: 0).stream(epoch: 1))[0]
        let sharded = batches[1][0]
        let position = try #require(first.indices.firstIndex(of: sharded.indices[0]))
        #expect(first.images[position].scalars == sharded.images[0].scalars)
    }
}

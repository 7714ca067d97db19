// DataLoader: batches depend on (seed, epoch) only — not on worker count, timing or resuming —,
// cover each index once, stay within the prefetch window, skip or throw on bad samples, and
// stop cleanly when dropped.
import Datasets
import Foundation
import ImageIO
import Tensors
import Testing
import Transforms

@Suite struct DataLoaderTests {
    @Test func sameSeedGivesIdenticalBatchesForAnyWorkerCount() throws {
        let data = SyntheticDataset(count: 103, delay: true)
        let reference = try drain(DataLoader(data, batchSize: 8, shuffle: true, seed: 42, workers: 0).batches(epoch: 3, from: 0))
        #expect(reference.count == 13)
        for workers in [1, 2, 3, 5] {
            for prefetch in [1, 2, 7] {
                let loader = DataLoader(data, batchSize: 8, shuffle: true, seed: 42, workers: workers, prefetch: prefetch)
                #expect(sameBatches(try drain(loader.batches(epoch: 3, from: 0)), reference), "workers \(workers) prefetch \(prefetch)")
            }
        }
        // The random draws are the sample generator's, seeded by (seed, epoch, index).
        let b = reference[0], i = b.indices[0]
        var rng = DataLoader.sampleGenerator(seed: 42, epoch: 3, index: i)
        #expect(Array(b.images.scalars[0..<4]) == [Float(i), rng.nextUniform(), rng.nextUniform(), Float(i % 3)])
    }

    @Test func resumingAtBatchKGivesTheTailOfTheEpoch() throws {
        let data = SyntheticDataset(count: 50)
        let loader = DataLoader(data, batchSize: 6, shuffle: true, seed: 9, workers: 2)
        let full = try drain(loader.batches(epoch: 1, from: 0))
        for k in [0, 1, 4, 8] {
            let before = data.started.count
            let tail = try drain(loader.batches(epoch: 1, from: k))
            #expect(sameBatches(tail, Array(full[k...])), "from \(k)")
            #expect(data.started.count - before == 50 - 6 * k, "earlier batches are not decoded")
        }
        #expect(try drain(loader.batches(epoch: 1, from: 9)).isEmpty)
        #expect(try drain(loader.batches(epoch: 1, from: 100)).isEmpty)
    }

    @Test func epochsDifferAndEachCoversEveryIndexOnce() throws {
        let data = SyntheticDataset(count: 23)
        let loader = DataLoader(data, batchSize: 5, shuffle: true, seed: 1, workers: 2)
        #expect(loader.batchesPerEpoch == 5 && loader.samplesPerEpoch == 23)
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            let batches = try drain(loader.batches(epoch: epoch, from: 0))
            #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
            let order = batches.flatMap(\.indices)
            #expect(order.sorted() == Array(0..<23))
            #expect(order == loader.order(epoch: epoch))
            for b in batches { #expect(b.labels == b.indices.map { $0 % 3 }) }
            orders.append(order)
        }
        #expect(orders[0] != orders[1] && orders[1] != orders[2])
        // Another seed, another order; no shuffle, dataset order.
        #expect(DataLoader(data, batchSize: 5, shuffle: true, seed: 2).order(epoch: 0) != orders[0])
        #expect(DataLoader(data, batchSize: 5).order(epoch: 7) == Array(0..<23))
    }

    @Test func dropLastDropsTheIncompleteBatch() throws {
        let data = SyntheticDataset(count: 23)
        let loader = DataLoader(data, batchSize: 5, shuffle: true, dropLast: true, seed: 1, workers: 2)
        #expect(loader.batchesPerEpoch == 4 && loader.samplesPerEpoch == 20)
        let batches = try drain(loader.batches(epoch: 0, from: 0))
        #expect(batches.map(\.count) == [5, 5, 5, 5])
        #expect(Set(batches.flatMap(\.indices)).count == 20)
        #expect(batches.flatMap(\.indices) == Array(DataLoader(data, batchSize: 5, shuffle: true, seed: 1).order(epoch: 0).prefix(20)))
        #expect(DataLoader(SyntheticDataset(count: 20), batchSize: 5, dropLast: true).batchesPerEpoch == 4)
        #expect(DataLoader(SyntheticDataset(count: 3), batchSize: 5, dropLast: true).batchesPerEpoch == 0)
    }

    @Test func badSamplesAreSkippedAndReported() throws {
        let data = SyntheticDataset(count: 20, failing: [3, 11, 12])
        let reports = Mutexed<[SkippedSample]>([])
        let loader = DataLoader(data, batchSize: 4, workers: 2, onSkip: { s in reports.mutate { $0.append(s) } })
        let stream = loader.batches(epoch: 0, from: 0)
        let batches = try drain(stream)
        #expect(stream.skippedSamples == 3)
        #expect(batches.map(\.count) == [3, 4, 3, 3, 4])
        #expect(batches.flatMap(\.indices) == (0..<20).filter { ![3, 11, 12].contains($0) })
        #expect(batches[0].images.shape == [3, 1, 2, 2])
        let got = reports.value
        #expect(got.map(\.index) == [3, 11, 12] && got.map(\.batch) == [0, 2, 3])
        #expect("\(got[0].error)" == "file3.png: cannot decode")
    }

    @Test func aBatchWithOnlyBadSamplesIsPassedOver() throws {
        let data = SyntheticDataset(count: 9, failing: [3, 4, 5])
        let stream = DataLoader(data, batchSize: 3, workers: 1, onSkip: nil).batches(epoch: 0, from: 0)
        #expect(try drain(stream).map(\.indices) == [[0, 1, 2], [6, 7, 8]])
        #expect(stream.skippedSamples == 3)
    }

    @Test(arguments: [0, 2])
    func strictLoadersThrowTheErrorNamingTheFile(workers: Int) throws {
        let data = SyntheticDataset(count: 12, failing: [5])
        let stream = DataLoader(data, batchSize: 4, workers: workers, strict: true).batches(epoch: 0, from: 0)
        #expect(try stream.next()?.indices == [0, 1, 2, 3])
        let error = #expect(throws: DatasetError.self) { try stream.next() }
        #expect(error?.description == "file5.png: cannot decode")
        #expect(try stream.next()?.indices == [8, 9, 10, 11])  // the stream goes on after the failed batch
        #expect(try stream.next() == nil)
    }

    @Test func corruptImageInAFolderSkippedOrStrict() throws {
        let folder = try ImageFolder(root: Fixtures.path("folder"), transform: Pipeline(image: [Resize(height: 4, width: 4)]))
        let corrupt = folder.samples.firstIndex { $0.path.hasSuffix("corrupt.png") }!
        let names = Mutexed<[String]>([])
        let lenient = DataLoader(folder, batchSize: 5, workers: 2, onSkip: { s in names.mutate { $0.append("\(s.error)") } })
        let stream = lenient.batches(epoch: 0, from: 0)
        let batches = try drain(stream)
        #expect(stream.skippedSamples == 1)
        #expect(batches.flatMap(\.indices) == (0..<14).filter { $0 != corrupt })
        #expect(names.value.count == 1 && names.value[0].hasPrefix(folder.samples[corrupt].path + ": "))
        let strict = DataLoader(folder, batchSize: 5, workers: 2, strict: true)
        let error = #expect(throws: ImageError.self) { _ = try drain(strict.batches(epoch: 0, from: 0)) }
        #expect(error?.file == folder.samples[corrupt].path)
    }

    @Test func randomTransformsOnImagesAreReproducible() throws {
        let all = try ImageFolder(root: Fixtures.path("folder"))
        let folder = ImageFolder(classes: all.classes, samples: all.samples.filter { !$0.path.hasSuffix("corrupt.png") }, transform: Pipeline(
            image: [RandomResizedCrop(3), RandomHorizontalFlip()], tensor: [Normalize(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])]))
        let run = { (w: Int) in try drain(DataLoader(folder, batchSize: 4, shuffle: true, seed: 5, workers: w, onSkip: nil).batches(epoch: 2, from: 0)) }
        let one = try run(1)
        let two = try run(2), zero = try run(0)
        #expect(sameBatches(two, one) && sameBatches(zero, one))
        #expect(one.first?.images.shape == [4, 3, 3, 3])
        let other = try drain(DataLoader(folder, batchSize: 4, shuffle: true, seed: 5, workers: 2, onSkip: nil).batches(epoch: 3, from: 0))
        #expect(!sameBatches(other, one))
    }

    @Test func samplesOfDifferentShapesInABatchAreAnError() throws {
        let folder = try ImageFolder(root: Fixtures.path("folder"))
        let error = #expect(throws: DatasetError.self) { _ = try drain(DataLoader(folder, batchSize: 4, workers: 1).batches(epoch: 0, from: 0)) }
        #expect(error?.kind == .sample)
        #expect(error?.description.hasPrefix("sample 1 has shape [3, 8, 8] but sample 0 of the same batch has [3, 5, 6]") == true)
    }

    @Test func directPathBatchesEqualPerSampleBatches() throws {
        let mnist = try MNIST(directory: Fixtures.path("idx"), normalize: true)
        let fast = try drain(DataLoader(mnist, batchSize: 5, shuffle: true, seed: 4, workers: 2).batches(epoch: 0, from: 0))
        // Through Subset's direct path too, and through the per-sample path via a wrapper.
        let subset = try drain(DataLoader(Subset(mnist, indices: Array(0..<12)), batchSize: 5, shuffle: true, seed: 4, workers: 2).batches(epoch: 0, from: 0))
        let slow = try drain(DataLoader(PerSample(base: mnist), batchSize: 5, shuffle: true, seed: 4, workers: 2).batches(epoch: 0, from: 0))
        #expect(sameBatches(fast, slow) && sameBatches(fast, subset))
        #expect(fast.map(\.count) == [5, 5, 2] && fast[0].images.shape == [5, 1, 28, 28])
    }

    @Test func droppingTheStreamEarlyStopsTheWorkers() throws {
        let data = SyntheticDataset(count: 2000, delay: true)
        let loader = DataLoader(data, batchSize: 10, shuffle: true, workers: 2, prefetch: 3)
        let start = Date()
        do {
            let stream = loader.batches(epoch: 0, from: 0)
            #expect(try stream.next()?.count == 10)
            #expect(try stream.next()?.count == 10)
        }  // dropped here: deinit stops and joins the workers
        let afterDrop = data.started.count
        // At most the delivered batches plus the prefetch window (and the batches in progress) were started.
        #expect(afterDrop <= (2 + 3) * 10)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(data.started.count == afterDrop, "no worker keeps running after the stream is gone")
        #expect(Date().timeIntervalSince(start) < 60, "dropping the stream does not wait for the rest of the epoch")
        // A stream dropped before its first batch, many times over, neither hangs nor leaks threads.
        for _ in 0..<50 { _ = loader.batches(epoch: 1, from: 0) }
    }

    @Test func prefetchBoundsTheWorkAhead() throws {
        let data = SyntheticDataset(count: 400)
        let stream = DataLoader(data, batchSize: 10, workers: 2, prefetch: 4).batches(epoch: 0, from: 0)
        _ = try stream.next()
        Thread.sleep(forTimeInterval: 0.1)  // let the workers run as far as they may
        #expect(data.started.count <= (1 + 4) * 10)
        #expect(data.started.count >= 2 * 10)
    }

    @Test func seedsAreStableAcrossRuns() {
        // The epoch orders are PyTorch's: torch.randperm(10, generator=g) twice, g seeded with 0
        // (Tests/TensorsTests/Fixtures/torch_rng.json). A change here changes every saved run's batches.
        #expect(DataLoader(SyntheticDataset(count: 10), shuffle: true, seed: 0).order(epoch: 0) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2])
        #expect(DataLoader(SyntheticDataset(count: 10), shuffle: true, seed: 0).order(epoch: 1) == [3, 9, 4, 2, 7, 8, 6, 0, 5, 1])
        // Asked out of order (a resumed run), an epoch's order is the same.
        #expect(torchEpochOrder(count: 10, seed: 0, epoch: 1) == [3, 9, 4, 2, 7, 8, 6, 0, 5, 1])
        #expect(torchEpochOrder(count: 10, seed: 0, epoch: 0) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2])
        var s = DataLoader.sampleGenerator(seed: 7, epoch: 2, index: 3)
        #expect(s.next() == 4_638_170_865_995_230_616)
        var rng = RandomGenerator(seed: 123)
        #expect(randomPermutation(10, using: &rng).sorted() == Array(0..<10))
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        #expect(randomPermutation(1000, using: &a) == randomPermutation(1000, using: &b))
        #expect(DataLoader.sampleGenerator(seed: 1, epoch: 0, index: 0) != DataLoader.sampleGenerator(seed: 1, epoch: 0, index: 1))
        #expect(DataLoader.sampleGenerator(seed: 1, epoch: 0, index: 5) != DataLoader.sampleGenerator(seed: 1, epoch: 1, index: 5))
    }

    @Test func permutationIsUniform() {
        // Each of 4 values lands in each of 4 positions about equally often (Fisher–Yates, unbiased draws).
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 4), count: 4)
        var rng = RandomGenerator(seed: 77)
        for _ in 0..<40_000 {
            for (pos, v) in randomPermutation(4, using: &rng).enumerated() { counts[pos][v] += 1 }
        }
        for row in counts { for c in row { #expect(abs(c - 10_000) < 400) } }
    }
}

/// Hides a dataset's direct path, so the loader goes sample by sample.
struct PerSample: Dataset {
    let base: any Dataset
    var count: Int { base.count }
    var classes: [String] { base.classes }
    func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        try base.sample(at: index, using: &rng)
    }
}

/// A value behind a lock, for callbacks from worker threads.
final class Mutexed<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}

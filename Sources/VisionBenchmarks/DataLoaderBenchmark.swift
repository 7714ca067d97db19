// Throughput of the DataLoader on an ImageNet-like folder, for `vision bench` and BENCHMARKS.md.
// The folder is made in a temporary directory from a few source photos: random crops resized to
// ImageNet's typical 500×375, re-encoded as JPEG, so every file decodes differently. Each run
// loads a few epochs (median reported) with the training preset (RandomResizedCrop(224), RandomHorizontalFlip, toTensor,
// Normalize), batch 32, and reports images/s and the peak resident set (VmHWM, reset before each
// run through /proc/self/clear_refs where the kernel allows it).
import Datasets
import Foundation
import Transforms

/// DataLoader throughput on a generated JPEG folder.
public enum DataLoaderBenchmark {
    /// The epochs timed with one worker count.
    public struct Result: Sendable, Codable {
        /// Worker threads.
        public var workers: Int
        /// Images loaded per epoch.
        public var images: Int
        /// Epochs timed.
        public var epochs: Int
        /// Median wall time of an epoch.
        public var seconds: Double
        public var imagesPerSecond: Double
        /// Peak resident set during the run (MiB), or of the whole process if it could not be reset.
        public var peakRSSMiB: Double?
        /// Whether `peakRSSMiB` was reset before the run (otherwise it is the process's peak so far).
        public var peakWasReset: Bool
    }

    /// The folder and every run.
    public struct Report: Sendable, Codable {
        public var imageCount: Int
        public var width: Int
        public var height: Int
        public var folderMiB: Double
        public var batchSize: Int
        public var pipeline: String
        /// Seconds spent writing the folder (not part of the measurement).
        public var buildSeconds: Double
        public var results: [Result]
    }

    /// Builds a folder of `imageCount` JPEGs of `width`×`height` from `sourcePhotos`, then times
    /// `epochs` epochs for each of `workerCounts` (the median counts). The folder goes to a new
    /// temporary directory, removed afterwards, or to `keepIn` (a path that must not exist yet),
    /// kept for a PyTorch comparison (Scripts/bench_dataloader.py).
    public static func run(sourcePhotos: [String], imageCount: Int = 512, width: Int = 500, height: Int = 375,
                           batchSize: Int = 32, workerCounts: [Int] = [1, 2], epochs: Int = 3, quality: Int = 90,
                           keepIn: String? = nil) throws -> Report {
        guard !sourcePhotos.isEmpty else { throw DatasetError(.notFound, path: "", "DataLoaderBenchmark: no source photos given") }
        if let keepIn, keepIn.isEmpty || FileManager.default.fileExists(atPath: keepIn) {
            throw DatasetError(.notFound, path: keepIn, "'\(keepIn)' already exists or is empty (the benchmark folder must be a new path)")
        }
        let dir = keepIn ?? FileManager.default.temporaryDirectory.appendingPathComponent("swiftvision-loader-bench-\(UUID().uuidString)").path
        defer { if keepIn == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let (bytes, buildSeconds) = try Timing.timed {
            try makeFolder(at: dir, from: sourcePhotos, count: imageCount, width: width, height: height, quality: quality)
        }

        let pipeline = Pipeline(image: [RandomResizedCrop(224), RandomHorizontalFlip()],
                                tensor: [Normalize(mean: ImageClassificationPreset.imagenetMean, std: ImageClassificationPreset.imagenetStd)])
        let folder = try ImageFolder(root: dir, transform: pipeline)
        let results = try time(folder, batchSize: batchSize, workerCounts: workerCounts, epochs: epochs)
        return Report(imageCount: imageCount, width: width, height: height, folderMiB: Double(bytes) / 1_048_576,
                      batchSize: batchSize, pipeline: "RandomResizedCrop(224) + RandomHorizontalFlip + toTensor + Normalize",
                      buildSeconds: buildSeconds, results: results)
    }

    /// Times `epochs` shuffled epochs of `dataset` for each worker count (median epoch reported),
    /// e.g. `FashionMNIST(normalize: true)` at batch 64, which takes the direct batch path.
    public static func time(_ dataset: any Dataset, batchSize: Int, workerCounts: [Int] = [1, 2], epochs: Int = 3) throws -> [Result] {
        var results: [Result] = []
        for w in workerCounts {
            let reset = PeakMemory.reset()
            let loader = DataLoader(dataset, batchSize: batchSize, shuffle: true, seed: 0, workers: w, strict: true)
            var times: [Double] = [], images = 0
            for epoch in 0..<max(epochs, 1) {
                times.append(try Timing.timed {
                    images = 0
                    let stream = loader.stream(epoch: epoch)
                    while let batch = try stream.next() { images += batch.count }
                }.seconds)
            }
            let median = Timing.median(times)
            let peakRSSMiB = PeakMemory.peakBytes().map { Double($0) / 1_048_576 }
            results.append(Result(workers: w, images: images, epochs: times.count, seconds: median,
                                  imagesPerSecond: Double(images) / median, peakRSSMiB: peakRSSMiB, peakWasReset: reset))
        }
        return results
    }
}

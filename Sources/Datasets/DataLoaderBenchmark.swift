// Throughput of the DataLoader on an ImageNet-like folder, for `vision bench` and BENCHMARKS.md.
// The folder is made in a temporary directory from a few source photos: random crops resized to
// ImageNet's typical 500×375, re-encoded as JPEG, so every file decodes differently. Each run
// loads a few epochs (median reported) with the training preset (RandomResizedCrop(224), RandomHorizontalFlip, toTensor,
// Normalize), batch 32, and reports images/s and the peak resident set (VmHWM, reset before each
// run through /proc/self/clear_refs where the kernel allows it).
import Foundation
import ImageIO
import Tensors
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
        let start = DispatchTime.now().uptimeNanoseconds
        let bytes = try makeFolder(at: dir, from: sourcePhotos, count: imageCount, width: width, height: height, quality: quality)
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

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
            let reset = resetPeakRSS()
            let loader = DataLoader(dataset, batchSize: batchSize, shuffle: true, seed: 0, workers: w, strict: true)
            var times: [Double] = [], images = 0
            for epoch in 0..<max(epochs, 1) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                images = 0
                let stream = loader.stream(epoch: epoch)
                while let batch = try stream.next() { images += batch.count }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            let median = times.sorted()[times.count / 2]
            results.append(Result(workers: w, images: images, epochs: times.count, seconds: median,
                                  imagesPerSecond: Double(images) / median, peakRSSMiB: peakRSSMiB(), peakWasReset: reset))
        }
        return results
    }

    /// The report as aligned text lines.
    public static func format(_ report: Report) -> String {
        let header = String(format: "%d JPEGs %d×%d (%.1f MiB, written in %.1f s), batch %d, ",
                            report.imageCount, report.width, report.height, report.folderMiB, report.buildSeconds,
                            report.batchSize) + report.pipeline
        return header + "\n" + format(report.results)
    }

    /// Timing results as aligned text lines.
    public static func format(_ results: [Result]) -> String {
        var lines: [String] = []
        for r in results {
            let rss = r.peakRSSMiB.map { String(format: "peak RSS %7.1f MiB", $0) + (r.peakWasReset ? "" : " (process)") } ?? "peak RSS n/a"
            lines.append("workers \(r.workers)".padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%8.1f images/s   median %6.2f s for %d images (%d epochs)   ", r.imagesPerSecond, r.seconds, r.images, r.epochs) + rss)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes `count` JPEGs into `dir/<photo name>/NNNNN.jpg` (one class per source photo) and
    /// returns their total size in bytes.
    static func makeFolder(at dir: String, from photos: [String], count: Int, width: Int, height: Int, quality: Int) throws -> Int {
        let sources = try photos.map { try Image(contentsOf: $0) }
        let classes = photos.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        for (k, name) in classes.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(k)_\(name)", withIntermediateDirectories: true)
        }
        var rng = RandomGenerator(seed: 2024)
        var total = 0
        for i in 0..<count {
            let k = i % sources.count, src = sources[k]
            // A random crop of 60-100% of each side, resized to width×height, flipped half the time.
            let ch = Int(Double(src.height) * (0.6 + 0.4 * rng.nextDouble())), cw = Int(Double(src.width) * (0.6 + 0.4 * rng.nextDouble()))
            let top = Int(boundedRandom(UInt64(src.height - ch + 1), &rng)), left = Int(boundedRandom(UInt64(src.width - cw + 1), &rng))
            var image = src.cropped(top: top, left: left, height: ch, width: cw).resized(width: width, height: height)
            if rng.nextDouble() < 0.5 { image = image.flippedHorizontally() }
            let data = try image.jpegData(quality: quality)
            let path = "\(dir)/\(k)_\(classes[k])/\(String(format: "%05d", i)).jpg"
            guard FileManager.default.createFile(atPath: path, contents: Data(data)) else {
                throw DatasetError(.notFound, path: path, "\(path): cannot write benchmark image")
            }
            total += data.count
        }
        return total
    }

    /// Resets the kernel's peak-RSS counter for this process (Linux ≥ 4.0); false if not allowed.
    static func resetPeakRSS() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// VmHWM from /proc/self/status, in MiB.
    static func peakRSSMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return nil }
        return kB / 1024
    }
}

// The DataLoader benchmark's input: an ImageNet-like folder of JPEGs, random crops of a few
// source photos resized to one size and re-encoded, so that every file decodes differently.
import Datasets
import Foundation
import ImageIO
import Tensors
import Transforms

extension DataLoaderBenchmark {
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
}

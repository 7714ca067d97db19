// Timing of decode and the classification preset, for `vision bench images` and
// Scripts/bench_images.py (which times Pillow/torchvision on the same files in the same run).
import Foundation
import ImageIO
import Tensors
import Transforms

/// Decode and preprocessing timings on given files.
public enum ImageBenchmark {
    /// One timed operation: median and minimum over the repetitions, in milliseconds.
    public struct Result: Sendable, Codable {
        public var name: String
        public var medianMs: Double
        public var minMs: Double
        public var repetitions: Int
    }

    /// Times decoding `jpegPath` and `pngPath` to RGB, and the ImageNet preset on the decoded JPEG
    /// (and the preset's resize+crop alone), each `repetitions` times after one warm-up.
    public static func run(jpegPath: String, pngPath: String, repetitions: Int = 20) throws -> [Result] {
        let jpegBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: jpegPath)))
        let pngBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: pngPath)))
        let photo = try Image(data: jpegBytes, name: jpegPath)
        let preset = ImageClassificationPreset()
        var results: [Result] = []
        results.append(try time("decode jpeg \(photo.width)x\(photo.height) (file)", repetitions) { _ = try Image(contentsOf: jpegPath) })
        results.append(try time("decode png \(photo.width)x\(photo.height) (file)", repetitions) { _ = try Image(contentsOf: pngPath) })
        results.append(try time("decode jpeg (memory)", repetitions) { _ = try Image(data: jpegBytes) })
        results.append(try time("decode png (memory)", repetitions) { _ = try Image(data: pngBytes) })
        results.append(try time("preset resize256+crop224", repetitions) { _ = preset.croppedImage(photo) })
        results.append(try time("preset full (to normalised tensor)", repetitions) { _ = preset(photo) })
        results.append(try time("decode jpeg + preset", repetitions) { _ = preset(try Image(contentsOf: jpegPath)) })
        return results
    }

    /// The results as aligned text lines.
    public static func format(_ results: [Result]) -> String {
        results.map { r in
            r.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                + String(format: "median %8.2f ms   min %8.2f ms   (n=%d)", r.medianMs, r.minMs, r.repetitions)
        }.joined(separator: "\n")
    }

    /// Times `n` runs of `body` after one warm-up.
    static func time(_ name: String, _ n: Int, _ body: () throws -> Void) throws -> Result {
        let seconds = try Timing.samples(warmups: 1, runs: n, body)
        return Result(name: name, medianMs: Timing.median(seconds) * 1e3, minMs: seconds.min()! * 1e3, repetitions: seconds.count)
    }
}

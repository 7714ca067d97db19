// 8-bit images held in memory, as torchvision holds MNIST and CIFAR (raw bytes, not floats), and
// the two ways of turning one into a tensor:
// - `sample`: per sample, through an optional transform pipeline (on an ImageIO `Image`), then an
//   optional Normalize — torchvision's `__getitem__`;
// - `write`: many samples straight into a batch tensor through a 256-entry table per channel,
//   the DataLoader's fast path when there is no transform. The table holds exactly what
//   `toTensor` + `Normalize` compute for each byte value ((Float(v) / 255 - mean) / std, in
//   Float), so both ways give bit-identical tensors.
import ImageIO
import Tensors
import Transforms
import Traps

/// `count` images of `channels × height × width` bytes each, stored CHW (as the files do), with
/// labels: the raw data behind MNIST, FashionMNIST and CIFAR10 (its contents are internal).
public struct PixelStore: Sendable {
    let pixels: [UInt8]
    let labels: [Int]
    let channels: Int
    let height: Int
    let width: Int

    init(pixels: [UInt8], labels: [Int], channels: Int, height: Int, width: Int) {
        trapUnless(pixels.count == labels.count &* channels &* height &* width, "PixelStore: pixel count does not match")
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    var count: Int { labels.count }
    var sampleShape: [Int] { [channels, height, width] }
    var sampleSize: Int { channels &* height &* width }

    func checkIndex(_ index: Int) {
        trapUnless(index >= 0 && index < count, "dataset index \(index) out of range 0..<\(count)")
    }

    /// Sample `index` as an HWC `Image` (what torchvision's transforms receive as a PIL image).
    func image(at index: Int) -> Image {
        checkIndex(index)
        let plane = height &* width, c = channels
        var out = [UInt8](repeating: 0, count: sampleSize)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let base = index &* sampleSize
                for ch in 0..<c {
                    for i in 0..<plane { dst[i &* c &+ ch] = src[base &+ ch &* plane &+ i] }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// The tensor and label of sample `index`: the transform (if any) on its image, then `normalization`.
    func sample(_ index: Int, transform: Pipeline?, normalization: Normalize?,
                using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        checkIndex(index)
        guard let transform else {
            var t = Tensor(uninitializedShape: sampleShape)
            _ = t.withUnsafeMutableBufferPointer { write([index], normalization: normalization, into: $0) }
            return (t, labels[index])
        }
        var t = try transform.apply(image(at: index), using: &rng)
        if let normalization { t = normalization(t) }
        return (t, labels[index])
    }

    /// Writes samples `indices` one after another into `out` (at least `indices.count × sampleSize`
    /// floats) as x / 255, normalised if asked; returns their labels.
    @discardableResult
    func write(_ indices: [Int], normalization: Normalize?, into out: UnsafeMutableBufferPointer<Float>) -> [Int] {
        trapUnless(out.count >= indices.count &* sampleSize, "PixelStore.write: output too small")
        if let n = normalization {
            trapUnless(n.mean.count == channels, "Normalize has \(n.mean.count) means for \(channels)-channel images")
        }
        // table[c * 256 + v]: the float of byte value v in channel c.
        var table = [Float](repeating: 0, count: 256 &* channels)
        for c in 0..<channels {
            for v in 0..<256 {
                let x = Float(v) / 255
                table[c &* 256 &+ v] = normalization.map { (x - $0.mean[c]) / $0.std[c] } ?? x
            }
        }
        let plane = height &* width, size = sampleSize
        table.withUnsafeBufferPointer { lut in
            pixels.withUnsafeBufferPointer { src in
                for (k, index) in indices.enumerated() {
                    checkIndex(index)
                    let from = src.baseAddress! + index &* size, to = out.baseAddress! + k &* size
                    for c in 0..<channels {
                        let t = lut.baseAddress! + c &* 256, s = from + c &* plane, d = to + c &* plane
                        for i in 0..<plane { d[i] = t[Int(s[i])] }
                    }
                }
            }
        }
        return indices.map { labels[$0] }
    }
}

/// A dataset whose samples are the images of a `PixelStore`, through an optional transform pipeline
/// and an optional Normalize (MNIST, FashionMNIST, CIFAR10). The extension provides the sample
/// access, the direct batch path and the targets from the store.
public protocol PixelStoreDataset: DirectBatchDataset {
    /// The images and labels.
    var store: PixelStore { get }
    /// Applied to each sample's `Image` (nil: straight to a [0, 1] tensor).
    var transform: Pipeline? { get }
    /// Applied after `transform` (or after the conversion to a tensor).
    var normalization: Normalize? { get }
}

extension PixelStoreDataset {
    public var count: Int { store.count }
    /// The class index of every sample.
    public var targets: [Int] { store.labels }

    /// Sample `index` as an image (what a transform receives).
    public func image(at index: Int) -> Image { store.image(at: index) }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        try store.sample(index, transform: transform, normalization: normalization, using: &rng)
    }

    public var directSampleShape: [Int]? { transform == nil ? store.sampleShape : nil }

    public func writeSamples(_ indices: [Int], into images: UnsafeMutableBufferPointer<Float>) throws -> [Int] {
        store.write(indices, normalization: normalization, into: images)
    }
}

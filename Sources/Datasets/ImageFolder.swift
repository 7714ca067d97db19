// torchvision.datasets.ImageFolder: a root directory with one subdirectory of images per class.
// The file list is made once (ImageFolder+Scan.swift); each sample is decoded from its file when
// asked for, then run through the transform pipeline.
import ImageIO
import Tensors
import Transforms
import Traps

/// Images in one folder per class: `root/<class>/**/<image>` (torchvision's `ImageFolder`).
///
/// ```swift
/// let train = try ImageFolder(root: "data/train", transform: Pipeline(
///     image: [RandomResizedCrop(224), RandomHorizontalFlip()],
///     tensor: [Normalize(mean: ImageClassificationPreset.imagenetMean, std: ImageClassificationPreset.imagenetStd)]))
/// ```
public struct ImageFolder: Dataset {
    /// One image file and its class index.
    public struct Sample: Sendable, Hashable {
        public var path: String
        public var label: Int
        public init(path: String, label: Int) {
            self.path = path
            self.label = label
        }
    }

    /// The root directory ("" for a dataset built from an explicit list).
    public let root: String
    /// Class names, sorted as torchvision sorts them; a class's index is its position.
    public let classes: [String]
    /// Every sample, in torchvision's order.
    public let samples: [Sample]
    /// Applied to each decoded image (the default only converts to a [0, 1] tensor).
    public var transform: Pipeline
    /// How images are decoded: `.rgb` (torchvision's `pil_loader`, `convert("RGB")`) or `.gray`.
    public var mode: ColorMode
    /// Images whose header claims more pixels are rejected before decoding (Pillow's
    /// `Image.MAX_IMAGE_PIXELS` error threshold by default). Decodes on every thread also share
    /// the process's `DecodeBudget`, so workers meeting large images take turns.
    public var maxImagePixels = DecodeOptions.defaultMaxPixels

    /// Scans `root` as torchvision does (see `findClasses` and `makeSamples`). `isValidFile`
    /// replaces the extension filter; it is only used while scanning.
    public init(root: String, transform: Pipeline = Pipeline(image: []), mode: ColorMode = .rgb,
                isValidFile: ((String) throws -> Bool)? = nil) throws {
        let classes = try ImageFolder.findClasses(in: root)
        let samples = try ImageFolder.makeSamples(root: root, classes: classes, isValidFile: isValidFile)
        self.init(root: root, classes: classes, samples: samples, transform: transform, mode: mode)
    }

    /// A dataset over an explicit sample list (for example a split of another folder's `samples`).
    public init(root: String = "", classes: [String], samples: [Sample], transform: Pipeline = Pipeline(image: []),
                mode: ColorMode = .rgb) {
        for s in samples {
            trapUnless(classes.indices.contains(s.label), "ImageFolder: label \(s.label) of \(s.path) is not a class index (\(classes.count) classes)")
        }
        self.root = root
        self.classes = classes
        self.samples = samples
        self.transform = transform
        self.mode = mode
    }

    /// Class name → class index (torchvision's `class_to_idx`).
    public var classToIndex: [String: Int] {
        Dictionary(classes.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
    }

    /// The class index of every sample (torchvision's `targets`).
    public var targets: [Int] { samples.map(\.label) }

    public var count: Int { samples.count }

    /// The same samples with another transform (e.g. training vs evaluation preprocessing).
    public func withTransform(_ transform: Pipeline) -> ImageFolder {
        var copy = self
        copy.transform = transform
        return copy
    }

    /// The decoded image of sample `index`, before any transform. Errors name the file.
    public func image(at index: Int) throws -> Image {
        trapUnless(samples.indices.contains(index), "ImageFolder: index \(index) out of range 0..<\(samples.count)")
        return try Image(contentsOf: samples[index].path, mode: mode, maxPixels: maxImagePixels)
    }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> (image: Tensor, label: Int) {
        let image = try self.image(at: index)
        let path = samples[index].path
        do {
            return (try transform.apply(image, using: &rng), samples[index].label)
        } catch let error as ImageError {
            throw error
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError.file(.sample, path, "transform failed: \(error)")
        }
    }
}

// The data side of `vision train` and `vision evaluate`: which dataset, which preprocessing (the
// model spec's eval preset and the training augmentation), and the DataLoaders over them.
import Foundation
import Synchronization
import SwiftVision

/// Datasets `vision train --dataset` reads with a built-in loader.
enum BuiltInDataset: String, CaseIterable {
    case fashionMNIST = "fashion-mnist"
    case mnist
    case cifar10

    var channels: Int { self == .cifar10 ? 3 : 1 }
    var imageSize: Int { self == .cifar10 ? 32 : 28 }
    /// The usual normalisation of the dataset (torchvision's examples).
    var mean: [Float] {
        switch self {
        case .fashionMNIST: FashionMNIST.normalization.mean
        case .mnist: MNIST.normalization.mean
        case .cifar10: [0.4914, 0.4822, 0.4465]
        }
    }
    var std: [Float] {
        switch self {
        case .fashionMNIST: FashionMNIST.normalization.std
        case .mnist: MNIST.normalization.std
        case .cifar10: [0.2470, 0.2435, 0.2616]
        }
    }

    /// The split, with `transform` (nil: the fast path) and normalisation `mean`/`std`.
    func load(directory: String?, train: Bool, transform: Pipeline?, mean: [Float], std: [Float]) throws -> any Dataset {
        let normalization = Normalize(mean: mean, std: std)
        switch self {
        case .fashionMNIST:
            var d = try FashionMNIST(directory: directory ?? FashionMNIST.debianDirectory, split: train ? .train : .test, transform: transform)
            d.normalization = normalization
            return d
        case .mnist:
            guard let directory else { throw CLIError("--dataset mnist needs --dataset-path DIR (the IDX files, gzip'd or not)") }
            var d = try MNIST(directory: directory, split: train ? .train : .test, transform: transform)
            d.normalization = normalization
            return d
        case .cifar10:
            guard let directory else { throw CLIError("--dataset cifar10 needs --dataset-path DIR (cifar-10-batches-bin or cifar-10-batches-py)") }
            var d = try CIFAR10(directory: directory, train: train, transform: transform)
            d.normalization = normalization
            return d
        }
    }
}

/// Training augmentation (`--augment`).
enum Augmentation: String {
    case none, basic, trivialaugment
}

/// Counts the samples the loaders skipped (and prints each warning).
final class SkipCounter: Sendable {
    private let skipped = Mutex(0)
    var count: Int { skipped.withLock { $0 } }

    var callback: @Sendable (SkippedSample) -> Void {
        { sample in
            self.skipped.withLock { $0 += 1 }
            DataLoader.printWarning(sample)
        }
    }
}

/// Parses "0.1,0.2,0.3" into floats, one per channel.
func parseChannelValues(_ text: String, channels: Int, option: String) throws -> [Float] {
    let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard values.count == channels, values.allSatisfy({ $0 != nil }) else {
        throw CLIError("\(option) needs \(channels) comma-separated numbers (one per channel), got '\(text)'")
    }
    return values.map { $0! }
}

/// The eval preset for images of side `size`: torchvision's resize-to-size/0.875 then centre crop
/// for ImageNet-sized inputs; small images (below 64) are only resized to `size`.
func evalPreset(size: Int, mean: [Float], std: [Float]) -> ImageClassificationPreset {
    let resize = size >= 64 ? Int((Double(size) / 0.875).rounded()) : size
    return ImageClassificationPreset(cropSize: size, resizeSize: resize, interpolation: .bilinear, mean: mean, std: std)
}

/// The image transforms of the eval preset (before toTensor), for ImageFolder pipelines.
func evalPipeline(_ preset: ImageClassificationPreset) -> Pipeline {
    Pipeline(image: [Resize(preset.resizeSize, interpolation: preset.interpolation), CenterCrop(preset.cropSize)],
             tensor: [Normalize(mean: preset.mean, std: preset.std)])
}

/// Training and validation batches for `vision train`, and the spec of the model they fit.
struct TrainingData {
    let spec: ModelSpec
    let classes: [String]
    let train: DataLoader
    let validation: DataLoader?
    let skipCounter: SkipCounter

    /// - Parameter ranks: in a data-parallel run, this process's rank and the world size: the
    ///   training loader takes its `DistributedShard` (padded), validation its unpadded share.
    static func prepare(_ options: Train, builtIn: BuiltInDataset?, resumed: ModelSpec?,
                        seed: UInt64, batchSize: Int, ranks: (rank: Int, size: Int)? = nil) throws -> TrainingData {
        // Geometry and normalisation: from the checkpoint when resuming, else from the flags.
        let channels = resumed?.inputChannels ?? options.channels ?? builtIn?.channels ?? 3
        let size = resumed?.preprocessing.cropSize ?? options.imageSize ?? builtIn?.imageSize ?? 224
        let mean = try resumed?.preprocessing.mean
            ?? options.mean.map { try parseChannelValues($0, channels: channels, option: "--mean") }
            ?? builtIn.map { channels == $0.channels ? $0.mean : Array(repeating: 0.5, count: channels) }
            ?? (channels == 3 ? ImageClassificationPreset.imagenetMean : [0.5])
        let std = try resumed?.preprocessing.std
            ?? options.std.map { try parseChannelValues($0, channels: channels, option: "--std") }
            ?? builtIn.map { channels == $0.channels ? $0.std : Array(repeating: 0.5, count: channels) }
            ?? (channels == 3 ? ImageClassificationPreset.imagenetStd : [0.5])
        let preset = resumed?.preprocessing ?? evalPreset(size: size, mean: mean, std: std)
        let augmentation = Augmentation(rawValue: options.augment ?? (size >= 64 ? "basic" : "none"))!
        var trainImageSteps: [any ImageTransform]
        switch augmentation {
        case .none: trainImageSteps = evalPipeline(preset).imageTransforms
        case .basic: trainImageSteps = [RandomResizedCrop(size), RandomHorizontalFlip()]
        case .trivialaugment: trainImageSteps = [RandomResizedCrop(size), RandomHorizontalFlip(), TrivialAugmentWide()]
        }
        let mode: ColorMode = channels == 1 ? .gray : .rgb
        let skips = SkipCounter()
        func loader(_ dataset: any Dataset, shuffle: Bool) -> DataLoader {
            let shard = ranks.map { DistributedShard(rank: $0.rank, worldSize: $0.size, padded: shuffle) }
            // A last batch of one sample would break BatchNorm's batch statistics: drop it then.
            let dropLast = shuffle && (shard?.sampleCount(of: dataset.count) ?? dataset.count) % batchSize == 1
            return DataLoader(dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, seed: seed,
                              workers: options.workers, strict: options.strict, onSkip: skips.callback, shard: shard)
        }

        var train: any Dataset, validation: (any Dataset)?
        if let builtIn {
            guard channels == builtIn.channels else {
                throw CLIError("--dataset \(builtIn.rawValue) has \(builtIn.channels)-channel images; --channels \(channels) does not fit")
            }
            // Without augmentation and at the native size, the loaders' fast batch path (no per-image transform).
            let native = augmentation == .none && size == builtIn.imageSize
            train = try builtIn.load(directory: options.datasetPath, train: true,
                                     transform: native ? nil : Pipeline(image: trainImageSteps), mean: mean, std: std)
            validation = try builtIn.load(directory: options.datasetPath, train: false,
                                          transform: size == builtIn.imageSize ? nil : Pipeline(image: evalPipeline(preset).imageTransforms),
                                          mean: mean, std: std)
        } else {
            let root = options.data!
            let trainPipeline = Pipeline(image: trainImageSteps, tensor: [Normalize(mean: mean, std: std)])
            let folder = try ImageFolder(root: root, transform: trainPipeline, mode: mode)
            if let valRoot = options.val {
                let val = try ImageFolder(root: valRoot, transform: evalPipeline(preset), mode: mode)
                guard val.classes == folder.classes else {
                    throw CLIError("--val \(valRoot) has classes \(val.classes.joined(separator: ", ")); --data \(root) has \(folder.classes.joined(separator: ", "))")
                }
                (train, validation) = (folder, val)
            } else if let fraction = options.valSplit {
                let split = randomSplit(count: folder.count, valFraction: fraction, seed: seed)
                guard !split.train.isEmpty, !split.val.isEmpty else {
                    throw CLIError("--val-split \(fraction) of \(folder.count) images leaves an empty training or validation set")
                }
                train = ImageFolder(root: root, classes: folder.classes, samples: split.train.map { folder.samples[$0] },
                                    transform: trainPipeline, mode: mode)
                validation = ImageFolder(root: root, classes: folder.classes, samples: split.val.map { folder.samples[$0] },
                                         transform: evalPipeline(preset), mode: mode)
            } else {
                (train, validation) = (folder, nil)
            }
        }
        func limited(_ dataset: any Dataset) -> any Dataset {
            guard var folder = dataset as? ImageFolder else { return dataset }
            folder.maxImagePixels = options.maxImagePixels
            return folder
        }
        (train, validation) = (limited(train), validation.map(limited))

        let spec: ModelSpec
        if let resumed {
            spec = resumed
        } else {
            let architecture = try options.model.map { try ModelName($0).architecture }
                ?? (channels == 1 && size == 28 ? "small_cnn" : "resnet18")
            if architecture == "small_cnn" && size != 28 {
                throw CLIError("small_cnn takes 28×28 images; --image-size is \(size)")
            }
            spec = ModelSpec(architecture: architecture, classNames: train.classes, inputChannels: channels, preprocessing: preset)
        }
        return TrainingData(spec: spec, classes: train.classes, train: loader(train, shuffle: true),
                            validation: validation.map { loader($0, shuffle: false) }, skipCounter: skips)
    }
}

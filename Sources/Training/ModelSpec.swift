// What a checkpoint must record to rebuild its model and its eval preprocessing from the file
// alone: the architecture, the classes, the input channels and the preprocessing preset.
//
// Metadata keys (safetensors `__metadata__`, all strings):
//   architecture, num_classes, class_names   as `ModelMetadata` (class names: a JSON array)
//   preprocessing    `imagenet-classification(resize=R,crop=C,interpolation=I[,mean=M/M/M,std=S/S/S])`
//                    (`ZooPreset`'s format, which `vision classify` already reads; mean/std only
//                    when they are not ImageNet's)
//   input_channels   "1" or "3"
//   image_size       the crop size, i.e. the side of the images the model sees
//   normalize_mean, normalize_std   JSON arrays, one value per channel
//   transform_input  "true" when the model runs with torchvision's transform_input (googlenet and
//                    inception_v3 fine-tuned from the zoo's weights); absent otherwise

import Checkpoints
import Foundation
import Models
import NN
import Tensors
import Transforms

/// A model as a checkpoint describes it: architecture, classes, input channels and eval
/// preprocessing (resize, centre crop, normalisation).
public struct ModelSpec: Sendable, Equatable {
    /// Builder name for `Architectures.build` (e.g. `small_cnn`, `resnet18`).
    public var architecture: String
    /// Number of output classes.
    public var numClasses: Int
    /// Class names in index order (may be empty when unknown).
    public var classNames: [String]
    /// Channels of the input images (1 for gray, 3 for RGB).
    public var inputChannels: Int
    /// Eval preprocessing: resize the shorter side, centre-crop, normalise.
    public var preprocessing: ImageClassificationPreset
    /// Whether the model runs with torchvision's `transform_input` (`InputTransforming` models).
    public var transformInput: Bool

    /// A spec; `numClasses` defaults to the number of class names.
    public init(architecture: String, numClasses: Int? = nil, classNames: [String], inputChannels: Int = 3,
                preprocessing: ImageClassificationPreset = ImageClassificationPreset(), transformInput: Bool = false) {
        self.architecture = architecture
        self.numClasses = numClasses ?? classNames.count
        self.classNames = classNames
        self.inputChannels = inputChannels
        self.preprocessing = preprocessing
        self.transformInput = transformInput
    }

    /// Fashion-MNIST's preprocessing for 28×28 gray images: no resize or crop, normalised with
    /// mean 0.2860 and std 0.3530 (as /work/shared/bench/fashion_torch.py).
    public static let fashionMNISTPreprocessing = ImageClassificationPreset(
        cropSize: 28, resizeSize: 28, interpolation: .bilinear, mean: [0.2860], std: [0.3530])

    /// Builds the architecture with fresh weights. With a `seed`, they are the weights PyTorch
    /// gives after `torch.manual_seed(seed)` (drawn from a generator seeded for this build alone,
    /// `TorchGenerator.withSeededDefault`); without, they come from the process-wide generator.
    /// `transformInput` is set on models that have it.
    public func makeModel(seed: UInt64? = nil) throws -> Module {
        let model = try seed.map { seed in
            try TorchGenerator.withSeededDefault(seed) {
                try Architectures.build(architecture, numClasses: numClasses, inputChannels: inputChannels)
            }
        } ?? Architectures.build(architecture, numClasses: numClasses, inputChannels: inputChannels)
        if transformInput { (model as? InputTransforming)?.transformInput = true }
        return model
    }

    // MARK: Metadata

    /// The metadata map written into checkpoints.
    public var metadata: [String: String] {
        var m = ModelMetadata(architecture: architecture, numClasses: numClasses,
                              classNames: classNames.isEmpty ? nil : classNames,
                              preprocessing: ZooPreset(resizeSize: preprocessing.resizeSize, cropSize: preprocessing.cropSize,
                                                       interpolation: preprocessing.interpolation.rawValue,
                                                       mean: preprocessing.mean, std: preprocessing.std).metadataValue,
                              transformInput: transformInput ? true : nil).map
        m["input_channels"] = String(inputChannels)
        m["image_size"] = String(preprocessing.cropSize)
        m["normalize_mean"] = Self.jsonArray(preprocessing.mean)
        m["normalize_std"] = Self.jsonArray(preprocessing.std)
        return m
    }

    /// Reads a spec from checkpoint metadata. `architecture` and `num_classes` are required; the
    /// others default to 3 channels and the ImageNet preset (as for files made by `vision convert`).
    /// - Throws: `TrainingError.invalidCheckpoint` naming `path` and the missing or malformed key.
    public init(metadata map: [String: String], path: String) throws {
        func fail(_ reason: String) -> TrainingError { .invalidCheckpoint(path: path, reason: reason) }
        let meta = ModelMetadata(map)
        guard let architecture = meta.architecture else {
            throw fail("the file does not record its architecture (metadata key 'architecture')")
        }
        guard let numClasses = meta.numClasses, numClasses > 0 else {
            throw fail("the file does not record its class count (metadata key 'num_classes' is \(map["num_classes"].map { "'\($0)'" } ?? "missing"))")
        }
        var preset = ImageClassificationPreset()
        if let text = map["preprocessing"] {
            guard let zoo = ZooPreset(metadataValue: text), let interpolation = Interpolation(rawValue: zoo.interpolation) else {
                throw fail("metadata 'preprocessing' is not a preset SwiftVision knows: \(text)")
            }
            preset.resizeSize = zoo.resizeSize
            preset.cropSize = zoo.cropSize
            preset.interpolation = interpolation
            preset.mean = zoo.mean
            preset.std = zoo.std
        }
        var channels = 3
        if let text = map["input_channels"] {
            guard let c = Int(text), c > 0 else { throw fail("metadata 'input_channels' is not a positive integer: \(text)") }
            channels = c
        }
        for (key, defaultValue) in [("normalize_mean", preset.mean), ("normalize_std", preset.std)] {
            var values = defaultValue
            if let text = map[key] {
                guard let parsed = try? JSONDecoder().decode([Float].self, from: Data(text.utf8)) else {
                    throw fail("metadata '\(key)' is not a JSON array of numbers: \(text)")
                }
                values = parsed
            }
            guard values.count == channels || values.count == 1 else {
                throw fail("metadata '\(key)' has \(values.count) values for \(channels) input channels")
            }
            if key == "normalize_mean" { preset.mean = values } else { preset.std = values }
        }
        guard map["normalize_mean"] != nil || channels == 3 else {
            throw fail("metadata 'normalize_mean' is missing for a \(channels)-channel model")
        }
        let names = meta.classNames ?? []
        guard names.isEmpty || names.count == numClasses else {
            throw fail("metadata 'class_names' has \(names.count) names for \(numClasses) classes")
        }
        self.init(architecture: architecture, numClasses: numClasses, classNames: names, inputChannels: channels,
                  preprocessing: preset, transformInput: meta.transformInput ?? false)
    }

    /// The (C, H, W) shape of the images the model takes after preprocessing.
    public var imageShape: [Int] { [inputChannels, preprocessing.cropSize, preprocessing.cropSize] }

    /// The label of class `index`: its name, or "class N" when names are unknown.
    public func label(_ index: Int) -> String {
        index >= 0 && index < classNames.count ? classNames[index] : "class \(index)"
    }

    private static func jsonArray(_ values: [Float]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
    }
}

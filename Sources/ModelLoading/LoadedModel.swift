// One call from a name or a file to a model ready for inference, as torchvision's
// `get_model(name, weights=...)` + `weights.transforms()` + `weights.meta["categories"]`:
// the module in eval mode, its class names and its preprocessing.
//
// Resolution, in order: the weights (a file path, a zoo name whose file is cached, or the zoo's
// default weights of `model`); the architecture (`model` if given, else what the file records,
// else the zoo entry's); the class count (recorded, else the rows of the last 2-D weight, else
// 1000); class names (recorded, else ImageNet's for 1000 classes); the preprocessing (recorded by
// `vision train`, else the file's preset, else the zoo entry's, else ImageNet's 256/224 bilinear);
// torchvision's transform_input for googlenet/inception_v3 (recorded, else on for the zoo's weights:
// named by zoo name, or a path ending in the zoo's file name).

import Checkpoints
import Foundation
import ImageIO
import Models
import NN
import Tensors
import Training
import Transforms

/// A model built and loaded for inference, with its class names and preprocessing.
public struct LoadedModel {
    /// The network, in eval mode with BatchNorm folded into the convs (`foldBatchNormsForInference`).
    public let module: Module
    /// Its builder name (e.g. `resnet18`).
    public let architecture: String
    /// Class names in index order (empty when unknown).
    public let classNames: [String]
    /// Eval preprocessing: resize, centre crop, to tensor, normalise.
    public let preset: ImageClassificationPreset
    /// Input channels: 3 (RGB) or 1 (gray, for models trained on gray images).
    public let channels: Int
    /// The weights file that was loaded.
    public let weightsPath: String
    /// The zoo entry the weights or the model name came from, if any.
    public let zooEntry: ZooEntry?
    /// The module's inference plans, one per batch shape (activations allocated once per shape).
    public let plans: InferencePlans

    /// The name of class `index`, or "class N" when names are unknown.
    public func label(_ index: Int) -> String {
        index >= 0 && index < classNames.count ? classNames[index] : "class \(index)"
    }

    /// The image mode the model takes (`.gray` for one input channel, else `.rgb`).
    public var imageMode: ColorMode { channels == 1 ? .gray : .rgb }

    /// The model's input tensor for `image`: resize, centre crop, to tensor, normalise.
    public func preprocess(_ image: Image) -> Tensor {
        guard channels == 1 else { return preset(image) }
        return Normalize(mean: preset.mean, std: preset.std)(toTensor(preset.croppedImage(image.converted(to: .gray))))
    }

    /// Class probabilities (softmax of the logits) for a batch of preprocessed inputs, [N, classes].
    public func probabilities(_ inputs: [Tensor]) -> Tensor {
        let logits = plans.run(Tensor.stack(inputs))
        return withNoGrad { logits.softmax(dim: 1) }
    }

    /// Loads a model as `vision classify` does (see the file's opening comment for the order).
    /// - Parameters:
    ///   - model: an architecture (`resnet18`) or zoo name (`resnet50_v2`); optional when the
    ///     weights record it or are a zoo name. Without `weights`, the zoo's weights of `model`
    ///     (default `resnet18`) are read from the cache.
    ///   - weights: a `.pth`/`.safetensors` file, or a zoo name whose file is cached.
    ///   - cache: where zoo files live.
    ///   - inferenceOnly: drop the conv weight parameters once they are folded
    ///     (`Module.releaseUnfoldedConvWeights`): one copy of each weight instead of two, and a
    ///     module that can only evaluate (`vision classify` sets it).
    /// - Throws: `ModelLoadingError` for unknown names, uncached zoo weights, a file that does not
    ///   record its architecture, or weights that do not fit; `CheckpointError` for unreadable files.
    public static func load(model: String? = nil, weights: String? = nil, cache: ZooCache = .current,
                            inferenceOnly: Bool = false) throws -> LoadedModel {
        let name = try model.map(ModelName.init)
        let file: WeightsFile
        if let weights {
            file = try WeightsFile(weights, cache: cache)
        } else {
            guard let entry = try (name ?? ModelName("resnet18")).zooEntry else {
                throw ModelLoadingError("no pretrained weights named '\(model ?? "")' in the zoo; pass --weights FILE")
            }
            file = try WeightsFile(cached: entry, cache: cache)
        }
        let path = file.path
        var zooEntry = file.zooEntry
        // A checkpoint from `vision train` also holds its training state (train_state.*): split it off.
        let checkpoint = try TrainingCheckpoint.load(path)
        let stateDict = checkpoint.model
        let metadata = ModelMetadata(stateDict.metadata)
        let architecture: String
        if let name {
            architecture = name.architecture
            // A torchvision file name (googlenet-1378be20.pth) before the name's default weights.
            zooEntry = zooEntry ?? file.identifiedZooEntry(architecture: architecture) ?? name.zooEntry
        } else if let recorded = metadata.architecture {
            architecture = try ModelName(recorded).architecture
        } else if let entry = zooEntry ?? file.identifiedZooEntry() {
            architecture = entry.architecture
            zooEntry = entry
        } else {
            throw ModelLoadingError("\(path): the file does not record its architecture; pass --model NAME "
                + "(architectures: \(Architectures.names.joined(separator: ", ")))")
        }
        let numClasses = metadata.numClasses ?? inferredClassCount(stateDict) ?? 1000
        // A spec recorded by `vision train` (channels, normalisation) when it is for this architecture.
        let spec = checkpoint.spec.flatMap { $0.architecture == architecture && $0.numClasses == numClasses ? $0 : nil }
        let channels = spec?.inputChannels ?? 3
        // Every parameter is overwritten by the strict load: skip the random initialisation's draws.
        let module = try Init.$skipsRandomDraws.withValue(true) {
            try buildAndLoad(architecture, numClasses: numClasses, inputChannels: channels, stateDict: stateDict, path: path)
        }
        // googlenet/inception_v3 with the zoo's weights (or a file recording it): transform_input.
        if spec?.transformInput ?? file.transformInput(architecture: architecture, metadata: metadata) {
            (module as? InputTransforming)?.transformInput = true
        }
        // Evaluation mode with BN folded into the convs and every conv's weights packed once.
        module.foldBatchNormsForInference()
        if inferenceOnly { module.releaseUnfoldedConvWeights() }
        // The state dict's tensors and the folding's temporaries went back to the tensor cache, which
        // would keep them resident (a resnet18's weights twice over): hand them back to the system.
        CachingAllocator.shared.emptyCache()
        let names = metadata.classNames.flatMap { $0.count == numClasses ? $0 : nil }
            ?? (numClasses == Zoo.imagenetCategories.count ? Zoo.imagenetCategories : [])
        let preset = spec?.preprocessing
            ?? (metadata.preprocessing.flatMap { ZooPreset(metadataValue: $0) } ?? zooEntry?.preset ?? .imagenet).imagePreset
        return LoadedModel(module: module, architecture: architecture, classNames: names, preset: preset, channels: channels,
                           weightsPath: path, zooEntry: zooEntry, plans: InferencePlans(module))
    }
}

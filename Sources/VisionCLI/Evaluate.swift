// `vision evaluate`: top-1/top-5, per-class accuracy and the confusion matrix of a trained model
// on an image folder or a built-in dataset's test split.
import ArgumentParser
import Foundation
import SwiftVision

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's accuracy on a folder of images (one subfolder per class) or a built-in test set.",
        discussion: """
            --weights is a checkpoint written by `vision train` (or `vision convert`): it records the \
            architecture, classes and preprocessing. For a plain torchvision .pth, give --model; the \
            ImageNet preset and the folder's classes are then used. The folder's class subfolders must \
            be the checkpoint's classes. Prints top-1/top-5, per-class accuracy and the confusion \
            matrix (rows: true class, columns: predicted); --json prints the same as one JSON object; \
            --confusion-png writes the matrix as a heat-map image (row-normalised, white to dark blue). \
            Unreadable images are skipped with a warning and counted (--strict stops instead).
            """)

    @Option(help: "Image folder with one subfolder per class.") var data: String?
    @Option(help: "Built-in dataset (its test split): fashion-mnist, mnist or cifar10.") var dataset: String?
    @Option(help: "Directory of the built-in dataset's files (default for fashion-mnist: \(FashionMNIST.debianDirectory)).")
    var datasetPath: String?
    @Option(help: "Checkpoint: a .safetensors from `vision train`/`convert`, or a .pth with --model.") var weights: String
    @Option(help: "Architecture, for weights that do not record it (a torchvision .pth).") var model: String?
    @Option(help: "Images per forward pass.") var batchSize = 64
    @Option(help: "Decoding worker threads (default: cores).") var workers: Int?
    @Option(help: "The k of top-k accuracy.") var topk = 5
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Option(help: "Also write the confusion matrix as a PNG heat map to this file.") var confusionPng: String?
    @Flag(help: "Stop at the first unreadable image instead of skipping it.") var strict = false
    @Option(help: "Images whose header claims more pixels than this are rejected before decoding (the default is Pillow's DecompressionBombError threshold).")
    var maxImagePixels = DecodeOptions.defaultMaxPixels

    func validate() throws {
        guard (data == nil) != (dataset == nil) else { throw ValidationError("give exactly one of --data DIR and --dataset NAME") }
        if let dataset, BuiltInDataset(rawValue: dataset) == nil {
            throw ValidationError("unknown --dataset '\(dataset)'; known: \(BuiltInDataset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard topk >= 1 else { throw ValidationError("--topk must be at least 1") }
        guard maxImagePixels >= 1 else { throw ValidationError("--max-image-pixels must be at least 1, got \(maxImagePixels)") }
    }

    func run() throws {
        let checkpoint = try TrainingCheckpoint.load(weights)
        let builtIn = dataset.flatMap(BuiltInDataset.init(rawValue:))
        let skips = SkipCounter()

        // The data, preprocessed with the checkpoint's preset.
        var spec = checkpoint.spec
        let source: any Dataset
        if let builtIn {
            let s = try spec ?? ModelSpec(architecture: try ModelName(model ?? "small_cnn").architecture,
                                          classNames: [], inputChannels: builtIn.channels,
                                          preprocessing: evalPreset(size: builtIn.imageSize, mean: builtIn.mean, std: builtIn.std))
            let native = s.preprocessing.cropSize == builtIn.imageSize && s.preprocessing.resizeSize == builtIn.imageSize
            source = try builtIn.load(directory: datasetPath, train: false,
                                      transform: native ? nil : Pipeline(image: evalPipeline(s.preprocessing).imageTransforms),
                                      mean: s.preprocessing.mean, std: s.preprocessing.std)
            spec = s
        } else {
            let root = data!
            let preset = spec?.preprocessing ?? ImageClassificationPreset()
            let channels = spec?.inputChannels ?? 3
            var folder = try ImageFolder(root: root, transform: evalPipeline(preset), mode: channels == 1 ? .gray : .rgb)
            folder.maxImagePixels = maxImagePixels
            source = folder
        }
        if spec == nil {
            guard let model else {
                throw CLIError("\(weights): the file does not record its architecture; pass --model NAME")
            }
            let architecture = try ModelName(model).architecture
            // googlenet/inception_v3 with the zoo's file: transform_input, as torchvision's builders.
            spec = ModelSpec(architecture: architecture, classNames: source.classes,
                             transformInput: WeightsFile.transformInput(path: weights, architecture: architecture,
                                                                        metadata: ModelMetadata(checkpoint.model.metadata)))
        }
        let modelSpec = spec!
        if !modelSpec.classNames.isEmpty && modelSpec.classNames != source.classes {
            throw CLIError("\(weights) was trained on classes [\(modelSpec.classNames.joined(separator: ", "))]; "
                + "the data has [\(source.classes.joined(separator: ", "))]")
        }
        let module = try modelSpec.makeModel()
        try loadStrictly(module, architecture: modelSpec.architecture, numClasses: modelSpec.numClasses,
                         stateDict: checkpoint.model, path: weights)
        module.eval()
        module.foldBatchNormsForInference()

        let loader = DataLoader(source, batchSize: batchSize, workers: workers, strict: strict, onSkip: skips.callback)
        let result = try Evaluator(model: module, spec: modelSpec, topK: topk).evaluate(loader, numClasses: modelSpec.numClasses)
        if json {
            print(try result.jsonString(pretty: false))
        } else {
            print(result.textReport())
        }
        if let confusionPng {
            try result.writeConfusionMatrixPNG(to: confusionPng)
            if !json { print("confusion matrix image: \(confusionPng)") }
        }
        if skips.count > 0 { reportError("skipped \(skips.count) unreadable images") }
    }
}

// `vision convert`: a torchvision .pth (or any checkpoint) to a self-describing .safetensors.
import ArgumentParser
import Foundation
import SwiftVision

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a .pth checkpoint to SwiftVision's .safetensors, with architecture, classes and preset.",
        discussion: """
            The weights are checked against the architecture strictly: every missing or unexpected \
            key and every shape mismatch is reported and nothing is written. The output records the \
            architecture, the class count, the class names (ImageNet-1k for 1000 classes, or the \
            input's own) and the preprocessing preset (the zoo entry's when --model is a zoo name), \
            so `vision classify --weights OUT` needs no --model. The file is written atomically.
            """)

    @Argument(help: "Input checkpoint: torch.save .pth (zip, legacy or tar) or .safetensors.")
    var input: String
    @Argument(help: "Output .safetensors file.")
    var output: String
    @Option(help: "Architecture (e.g. resnet18) or zoo name (e.g. resnet50_v2, which also sets the preset).")
    var model: String
    @Option(help: "Number of classes (default: the rows of the checkpoint's last 2-D weight, else 1000).")
    var numClasses: Int?

    func run() throws {
        let name = try ModelName(model)
        let stateDict = try loadCheckpoint(input)
        let inputMetadata = ModelMetadata(stateDict.metadata)
        let classes = numClasses ?? inferredClassCount(stateDict) ?? 1000
        let module = try buildAndLoad(name.architecture, numClasses: classes, stateDict: stateDict, path: input)
        let names = classes == Zoo.imagenetCategories.count
            ? Zoo.imagenetCategories : inputMetadata.classNames.flatMap { $0.count == classes ? $0 : nil }
        let preset = name.zooEntry?.preset ?? inputMetadata.preprocessing.flatMap { ZooPreset(metadataValue: $0) } ?? .imagenet
        // googlenet/inception_v3 from the zoo's file (or a file recording it) keep transform_input.
        let transformInput = WeightsFile.transformInput(path: input, architecture: name.architecture, metadata: inputMetadata)
        let metadata = ModelMetadata(architecture: name.architecture, numClasses: classes, classNames: names,
                                     preprocessing: preset.metadataValue, transformInput: transformInput ? true : nil)
        let out = module.checkpointStateDict()
        try saveSafetensors(out, metadata: metadata.map, to: output)
        print("\(output): \(name.architecture), \(classes) classes, \(out.count) tensors, preset \(preset.metadataValue)"
            + (transformInput ? ", transform_input" : ""))
    }
}

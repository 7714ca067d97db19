// `vision classify`: top-k ImageNet (or a checkpoint's own) classes for images, from zoo
// weights, a torchvision .pth or a SwiftVision .safetensors. Also holds the model resolution
// shared with `vision convert` (architecture/zoo names, class count, weight loading).
import ArgumentParser
import Foundation
import SwiftVision

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a pretrained or trained model; print the top-k classes.",
        discussion: """
            Weights come from --weights (a .pth or .safetensors file, or a zoo name) or, without it, \
            from the cached zoo file of --model (default resnet18; fetch it with \
            `vision zoo download NAME`). The cache is $VISION_HOME/checkpoints, or \
            ~/.cache/swiftvision/checkpoints. A SwiftVision .safetensors (from `vision convert`) \
            records its architecture, classes and preprocessing, so --model is optional for it. \
            Images are resized and centre-cropped with the weights' preset (torchvision's \
            ImageClassification). An unreadable image is reported on stderr, the others are still \
            classified, and the exit status is 1.
            """)

    @Argument(help: "Image files (JPEG or PNG) or directories (their .jpg/.jpeg/.png files, sorted).")
    var images: [String]
    @Option(help: "Architecture (e.g. resnet18, vgg16_bn) or zoo name (e.g. resnet50_v2). Default: resnet18, or the architecture a .safetensors records.")
    var model: String?
    @Option(help: "Weights: a .pth/.safetensors file, or a zoo name whose file is cached.")
    var weights: String?
    @Option(help: "Number of classes to show per image.")
    var topk = 5
    @Flag(help: "Print one JSON object per line: {\"image\": PATH, \"top\": [{\"index\", \"label\", \"probability\"}, ...]}.")
    var json = false
    @Option(help: "Images per forward pass.")
    var batchSize = 8

    func validate() throws {
        guard topk >= 1 else { throw ValidationError("--topk must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let loaded = try LoadedModel.load(model: model, weights: weights)
        var failures = 0
        let (paths, missing) = expandImagePaths(images)
        for problem in missing { reportError(problem); failures += 1 }
        var start = 0
        while start < paths.count {
            let chunk = Array(paths[start..<min(start + batchSize, paths.count)])
            start += chunk.count
            var decoded: [(String, Tensor)] = []
            for path in chunk {
                do { decoded.append((path, loaded.preprocess(try Image(contentsOf: path, mode: loaded.channels == 1 ? .gray : .rgb)))) } catch {
                    reportError("\(error)")
                    failures += 1
                }
            }
            guard !decoded.isEmpty else { continue }
            let probabilities = withNoGrad { loaded.module(Tensor.stack(decoded.map(\.1))).softmax(dim: 1) }
            let classes = probabilities.shape[1], values = probabilities.scalars
            for (row, (path, _)) in decoded.enumerated() {
                let p = Array(values[(row * classes)..<((row + 1) * classes)])
                let top = p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(topk)
                if json {
                    let record = ClassificationRecord(
                        image: path, top: top.map { .init(index: $0, label: loaded.label($0), probability: p[$0]) })
                    print(String(decoding: try jsonEncoder.encode(record), as: UTF8.self))
                } else {
                    print(path)
                    for (rank, i) in top.enumerated() {
                        print(String(format: "  %2d  %7.3f%%  ", rank + 1, Double(p[i]) * 100) + "\(loaded.label(i)) (\(i))")
                    }
                }
            }
        }
        if failures > 0 {
            reportError("\(failures) of \(paths.count + missing.count) images could not be classified")
            throw ExitCode(1)
        }
    }
}

/// Image files named by `arguments`: files as given, directories expanded to their JPEG/PNG
/// files (sorted by name). Paths that do not exist come back as error messages.
func expandImagePaths(_ arguments: [String]) -> (paths: [String], problems: [String]) {
    let extensions: Set<String> = ["jpg", "jpeg", "png"]
    var paths: [String] = [], problems: [String] = []
    for argument in arguments {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            problems.append("\(argument): no such file or directory"); continue
        }
        guard isDirectory.boolValue else { paths.append(argument); continue }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
        let images = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        if images.isEmpty { problems.append("\(argument): directory has no .jpg/.jpeg/.png files") }
        let prefix = argument.hasSuffix("/") ? argument : argument + "/"
        paths += images.map { prefix + $0 }
    }
    return (paths, problems)
}

func reportError(_ message: String) {
    FileHandle.standardError.write(Data("vision: \(message)\n".utf8))
}

/// One line of `vision classify --json`: `{"image": PATH, "top": [{"index", "label", "probability"}]}`.
struct ClassificationRecord: Encodable {
    struct Entry: Encodable {
        let index: Int
        let label: String
        let probability: Float
    }
    let image: String
    let top: [Entry]
}

/// Keys in the documented order (alphabetical happens to be it), paths unescaped.
let jsonEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}()

/// A failure of `classify`/`convert` that names the file or model and the problem.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Model resolution (shared with `vision convert`)

/// An architecture name as the user gave it: a builder name or a zoo name.
struct ModelName {
    let architecture: String
    let zooEntry: ZooEntry?

    init(_ name: String) throws {
        if let entry = Zoo.entry(named: name) {
            architecture = entry.architecture; zooEntry = entry
        } else if Architectures.names.contains(name) {
            architecture = name; zooEntry = nil
        } else {
            throw CLIError("unknown model '\(name)'; architectures: \(Architectures.names.joined(separator: ", ")); "
                + "zoo names: \(Zoo.names.joined(separator: ", "))")
        }
    }
}

extension ZooPreset {
    /// The `ImageClassificationPreset` with these sizes (ImageNet mean/std).
    var imagePreset: ImageClassificationPreset {
        ImageClassificationPreset(cropSize: cropSize, resizeSize: resizeSize,
                                  interpolation: Interpolation(rawValue: interpolation) ?? .bilinear)
    }
}

/// A model built and loaded for inference, with its class names and preprocessing.
struct LoadedModel {
    let module: Module
    let architecture: String
    let classNames: [String]
    let preset: ImageClassificationPreset
    /// Input channels: 3 (RGB) or 1 (gray, for models trained on gray images).
    let channels: Int

    func label(_ index: Int) -> String { index < classNames.count ? classNames[index] : "class \(index)" }

    /// The model's input tensor for `image`: resize, centre crop, to tensor, normalise.
    func preprocess(_ image: Image) -> Tensor {
        guard channels == 1 else { return preset(image) }
        return Normalize(mean: preset.mean, std: preset.std)(toTensor(preset.croppedImage(image.converted(to: .gray))))
    }

    /// Resolves `--model`/`--weights` as `vision classify` documents, loads and switches to eval mode.
    static func load(model: String?, weights: String?) throws -> LoadedModel {
        let cache = ZooCache.current
        var zooEntry: ZooEntry?
        let path: String
        if let weights, FileManager.default.fileExists(atPath: weights) {
            path = weights
        } else if let weights {
            guard let entry = Zoo.entry(named: weights) else {
                throw CLIError("\(weights): no such file, and not a zoo name (zoo names: \(Zoo.names.joined(separator: ", ")))")
            }
            zooEntry = entry
            path = try cachedPath(entry, cache)
        } else {
            let name = try ModelName(model ?? "resnet18")
            guard let entry = name.zooEntry else {
                throw CLIError("no pretrained weights named '\(model ?? "")' in the zoo; pass --weights FILE")
            }
            zooEntry = entry
            path = try cachedPath(entry, cache)
        }
        // A checkpoint from `vision train` also holds its training state (train_state.*): split it off.
        let checkpoint = try TrainingCheckpoint.load(path)
        let stateDict = checkpoint.model
        let metadata = ModelMetadata(stateDict.metadata)
        let architecture: String
        if let model {
            let name = try ModelName(model)
            architecture = name.architecture
            zooEntry = zooEntry ?? name.zooEntry
        } else if let recorded = metadata.architecture {
            architecture = try ModelName(recorded).architecture
        } else if let zooEntry {
            architecture = zooEntry.architecture
        } else {
            throw CLIError("\(path): the file does not record its architecture; pass --model NAME "
                + "(architectures: \(Architectures.names.joined(separator: ", ")))")
        }
        let numClasses = metadata.numClasses ?? inferredClassCount(stateDict) ?? 1000
        // A spec recorded by `vision train` (channels, normalisation) when it is for this architecture.
        let spec = checkpoint.spec.flatMap { $0.architecture == architecture && $0.numClasses == numClasses ? $0 : nil }
        let channels = spec?.inputChannels ?? 3
        let module = try buildAndLoad(architecture, numClasses: numClasses, inputChannels: channels, stateDict: stateDict, path: path)
        module.eval()
        let names = metadata.classNames.flatMap { $0.count == numClasses ? $0 : nil }
            ?? (numClasses == Zoo.imagenetCategories.count ? Zoo.imagenetCategories : [])
        let preset = spec?.preprocessing
            ?? (metadata.preprocessing.flatMap { ZooPreset(metadataValue: $0) } ?? zooEntry?.preset ?? .imagenet).imagePreset
        return LoadedModel(module: module, architecture: architecture, classNames: names, preset: preset, channels: channels)
    }

    static func cachedPath(_ entry: ZooEntry, _ cache: ZooCache) throws -> String {
        guard cache.isCached(entry) else {
            throw CLIError("weights '\(entry.name)' are not in the cache (\(cache.path(for: entry))); run `vision zoo download \(entry.name)`")
        }
        return cache.path(for: entry)
    }
}

/// The output count of a classifier state dict: the rows of its last 2-D weight.
func inferredClassCount(_ stateDict: StateDict) -> Int? {
    stateDict.entries.last { $0.name.hasSuffix(".weight") && $0.tensor.shape.count == 2 }?.tensor.shape[0]
}

/// Builds `architecture` and loads `stateDict` strictly; a mismatch names its first key and shapes.
func buildAndLoad(_ architecture: String, numClasses: Int, inputChannels: Int = 3, stateDict: StateDict, path: String) throws -> Module {
    let module = try Architectures.build(architecture, numClasses: numClasses, inputChannels: inputChannels)
    try loadStrictly(module, architecture: architecture, numClasses: numClasses, stateDict: stateDict, path: path)
    return module
}

/// Loads `stateDict` into `module` strictly; a mismatch names its first key and shapes.
func loadStrictly(_ module: Module, architecture: String, numClasses: Int, stateDict: StateDict, path: String) throws {
    do {
        try module.loadStateDict(stateDict, strict: true)
    } catch let error as StateDictError {
        let r = error.report
        let first: String
        if let m = r.shapeMismatches.first {
            first = "\(m.key) has shape \(m.actual) in the file, \(architecture) expects \(m.expected)"
        } else if let k = r.missingKeys.first {
            first = "\(k) is missing from the file"
        } else {
            first = "\(r.unexpectedKeys.first ?? "?") is not a key of \(architecture)"
        }
        throw CLIError("\(path): weights do not match \(architecture) (\(numClasses) classes): \(first)\n\(r)")
    }
}

// `vision classify`: top-k ImageNet (or a checkpoint's own) classes for images, from zoo
// weights, a torchvision .pth or a SwiftVision .safetensors. Model resolution is the library's
// `LoadedModel.load` (module ModelLoading); this file holds the command and the CLI's helpers.
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
    @Option(help: "Images whose header claims more pixels than this are rejected before decoding (the default is Pillow's DecompressionBombError threshold).")
    var maxImagePixels = DecodeOptions.defaultMaxPixels

    func validate() throws {
        guard topk >= 1 else { throw ValidationError("--topk must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard maxImagePixels >= 1 else { throw ValidationError("--max-image-pixels must be at least 1, got \(maxImagePixels)") }
    }

    func run() throws {
        let loaded = try LoadedModel.load(model: model, weights: weights, inferenceOnly: true)
        var failures = 0
        let (paths, missing) = expandImagePaths(images)
        for problem in missing { reportError(problem); failures += 1 }
        var start = 0
        while start < paths.count {
            let chunk = Array(paths[start..<min(start + batchSize, paths.count)])
            start += chunk.count
            var decoded: [(String, Tensor)] = []
            for path in chunk {
                do { decoded.append((path, loaded.preprocess(try Image(contentsOf: path, mode: loaded.imageMode, maxPixels: maxImagePixels)))) } catch {
                    reportError("\(error)")
                    failures += 1
                }
            }
            guard !decoded.isEmpty else { continue }
            let probabilities = loaded.probabilities(decoded.map(\.1))
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

/// A failure of a command that names the file or option and the problem.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// The library's model loading (`LoadedModel.load`, `WeightsFile`, `ModelName`), in-process: a
// torchvision resnet18 `.pth` found by zoo name in a scratch cache gives torchvision's top-5 on
// the sample photos; files with and without recorded metadata resolve their architecture,
// classes and preset; and every failure names what to do.

import Foundation
import Testing
import SwiftVision

private enum LoadingFixture {
    struct Top: Decodable { let image: String; let indices: [Int]; let probabilities: [Double] }
    struct File: Decodable { let classify: [Top] }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String, _ ext: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures")!
    }

    /// A fresh cache directory (removed by the caller).
    static func scratchCache() throws -> ZooCache {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vision-loading-\(UUID().uuidString)").path
        let cache = ZooCache(root: root)
        try cache.createDirectories()
        return cache
    }

    /// A resnet18 state dict with fresh weights, saved with the given metadata.
    static func savedResNet18(metadata: [String: String], in directory: String) throws -> (path: String, state: StateDict) {
        let state = try TorchGenerator.withSeededDefault(7) { try Architectures.build("resnet18").checkpointStateDict() }
        let path = directory + "/resnet18-\(metadata.isEmpty ? "plain" : "described").safetensors"
        try saveSafetensors(state, metadata: metadata, to: path)
        return (path, state)
    }
}

@Suite struct ModelLoadingTests {
    @Test func zooNameInTheCacheGivesTorchvisionsTop5() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let entry = try #require(Zoo.entry(named: "resnet18"))
        try FileManager.default.copyItem(at: LoadingFixture.fixture("resnet18-views", "pth"),
                                         to: URL(fileURLWithPath: cache.path(for: entry)))
        let loaded = try LoadedModel.load(weights: "resnet18", cache: cache)
        #expect(loaded.architecture == "resnet18" && loaded.channels == 3)
        #expect(loaded.weightsPath == cache.path(for: entry) && loaded.zooEntry?.name == "resnet18")
        #expect(loaded.classNames == Zoo.imagenetCategories && loaded.label(1) == "goldfish" && loaded.label(1000) == "class 1000")
        #expect(loaded.preset.resizeSize == 256 && loaded.preset.cropSize == 224 && loaded.preset.interpolation == .bilinear)

        let expected = try JSONDecoder().decode(LoadingFixture.File.self,
                                                from: Data(contentsOf: LoadingFixture.fixture("resnet18-views", "json"))).classify
        let inputs = try expected.map { top in
            loaded.preprocess(try Image(contentsOf: LoadingFixture.repositoryRoot.appendingPathComponent(top.image).path, mode: loaded.imageMode))
        }
        let probabilities = loaded.probabilities(inputs)
        #expect(probabilities.shape == [expected.count, 1000])
        for (row, top) in expected.enumerated() {
            let p = Array(probabilities.scalars[(row * 1000)..<((row + 1) * 1000)])
            let order = p.indices.sorted { p[$0] > p[$1] }.prefix(5)
            #expect(Array(order) == top.indices, "\(top.image)")
            for (i, e) in zip(order, top.probabilities) {
                #expect(Swift.abs(Double(p[i]) - e) <= 1e-4, "\(top.image): class \(i) \(p[i]) vs torchvision \(e)")
            }
        }
    }

    @Test func modelNameSelectsTheZooPresetForAPlainFile() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        // A V2 name gives its own preset (resize 232) even when the weights come from a file.
        let resnet50 = try TorchGenerator.withSeededDefault(3) { try Architectures.build("resnet50").checkpointStateDict() }
        let path = cache.root + "/r50.safetensors"
        try saveSafetensors(resnet50, metadata: [:], to: path)
        let loaded = try LoadedModel.load(model: "resnet50_v2", weights: path, cache: cache)
        #expect(loaded.architecture == "resnet50" && loaded.zooEntry?.weights == "ResNet50_Weights.IMAGENET1K_V2")
        #expect(loaded.preset.resizeSize == 232 && loaded.preset.cropSize == 224)
        #expect(!loaded.module.isTraining)
    }

    @Test func recordedMetadataNeedsNoModelName() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let classes = (0..<10).map { "c\($0)" }
        let model = try TorchGenerator.withSeededDefault(1) { try Architectures.build("resnet18", numClasses: 10) }
        let metadata = ModelMetadata(architecture: "resnet18", numClasses: 10, classNames: classes,
                                     preprocessing: ZooPreset(resizeSize: 160, cropSize: 128, interpolation: "bicubic",
                                                              mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5]).metadataValue)
        let path = cache.root + "/ten.safetensors"
        try saveSafetensors(model.checkpointStateDict(), metadata: metadata.map, to: path)
        let loaded = try LoadedModel.load(weights: path, cache: cache)
        #expect(loaded.architecture == "resnet18" && loaded.classNames == classes && loaded.zooEntry == nil)
        #expect(loaded.preset.resizeSize == 160 && loaded.preset.cropSize == 128 && loaded.preset.interpolation == .bicubic)
        #expect(loaded.preset.mean == [0.5, 0.5, 0.5] && loaded.preset.std == [0.5, 0.25, 0.5])
        // The loaded weights are the saved ones, tensor for tensor.
        let saved = model.stateDict(), restored = loaded.module.stateDict()
        #expect(saved.map(\.name) == restored.map(\.name))
        for ((name, a), (_, b)) in zip(saved, restored) { #expect(a.scalars == b.scalars, "\(name)") }
    }

    @Test func inferenceOnlyLoadingKeepsOneCopyOfTheWeightsAndTheSameOutputs() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let model = try TorchGenerator.withSeededDefault(4) { try Architectures.build("resnet18", numClasses: 10) }
        let path = cache.root + "/r18.safetensors"
        try saveSafetensors(model.checkpointStateDict(), metadata: ModelMetadata(architecture: "resnet18", numClasses: 10).map,
                            to: path)
        let full = try LoadedModel.load(weights: path, cache: cache)
        let slim = try LoadedModel.load(weights: path, cache: cache, inferenceOnly: true)
        var g = RandomGenerator(seed: 5)
        let x = Tensor.uniform([2, 3, 64, 64], low: -1, high: 1, generator: &g)
        let (a, b) = withNoGrad { (full.module(x), slim.module(x)) }
        #expect(a.scalars == b.scalars)
        // Every conv weight parameter of the slim module is released; the others (BN, fc) stay.
        let convNames = Set(full.module.stateDict().filter { $0.tensor.rank == 4 }.map(\.name))
        #expect(convNames.count == 20)
        let slimState = slim.module.stateDict()
        #expect(slimState.filter { convNames.contains($0.name) }.allSatisfy { $0.tensor.count == 0 })
        #expect(slim.module.stateDict().first { $0.name == "fc.weight" }?.tensor.shape == [10, 512])
        #expect(full.module.stateDict().first { $0.name == "conv1.weight" }?.tensor.shape == [64, 3, 7, 7])
    }

    /// torchvision's googlenet(weights=...) sets transform_input; get_model("googlenet") +
    /// load_state_dict does not. So: on for the zoo's weights (by zoo name, by the default cached
    /// file, or by a path ending in the zoo's file name) and for files recording it; off for other
    /// files, even with `--model googlenet` (whose preset still applies).
    @Test func zooWeightsOfGoogLeNetTurnTransformInputOn() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let entry = try #require(Zoo.entry(named: "googlenet"))
        #expect(entry.transformInput && Zoo.entry(named: "inception_v3")?.transformInput == true)
        let state = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build("googlenet").checkpointStateDict() }
        try saveSafetensors(state, metadata: [:], to: cache.path(for: entry))
        let renamed = cache.root + "/" + entry.fileName, plain = cache.root + "/mine.safetensors"
        try saveSafetensors(state, metadata: [:], to: renamed)
        try saveSafetensors(state, metadata: [:], to: plain)
        let recorded = cache.root + "/recorded.safetensors"
        try saveSafetensors(state, metadata: ModelMetadata(architecture: "googlenet", numClasses: 1000, transformInput: true).map,
                            to: recorded)
        func transforms(_ loaded: LoadedModel) -> Bool? { (loaded.module as? InputTransforming)?.transformInput }
        #expect(transforms(try LoadedModel.load(weights: "googlenet", cache: cache)) == true)
        #expect(transforms(try LoadedModel.load(model: "googlenet", cache: cache)) == true)
        let byFileName = try LoadedModel.load(weights: renamed, cache: cache)
        #expect(transforms(byFileName) == true && byFileName.architecture == "googlenet" && byFileName.zooEntry == entry)
        #expect(transforms(try LoadedModel.load(model: "googlenet", weights: renamed, cache: cache)) == true)
        #expect(transforms(try LoadedModel.load(weights: recorded, cache: cache)) == true)
        let mine = try LoadedModel.load(model: "googlenet", weights: plain, cache: cache)
        #expect(transforms(mine) == false && mine.preset.resizeSize == 256 && mine.zooEntry == entry)
        // Evaluation outputs only the main logits.
        let x = Tensor.zeros([1, 3, 64, 64])
        #expect(withNoGrad { mine.module(x) }.shape == [1, 1000])
        // torchvision's googlenet(weights=...) state dict has no aux keys (it dropped the heads): it loads too.
        let noAux = cache.root + "/googlenet-no-aux.safetensors"
        try saveSafetensors(StateDict(state.entries.filter { !$0.name.hasPrefix("aux") }.map { ($0.name, $0.tensor) }),
                            metadata: [:], to: noAux)
        let dropped = try LoadedModel.load(model: "googlenet", weights: noAux, cache: cache)
        #expect(!dropped.module.stateDict().contains { $0.name.hasPrefix("aux") } && transforms(dropped) == false)
        // A training spec records it and rebuilds the model with it.
        let spec = ModelSpec(architecture: "googlenet", classNames: ["a", "b"], transformInput: true)
        #expect(spec.metadata["transform_input"] == "true")
        #expect(try ModelSpec(metadata: spec.metadata, path: "x") == spec)
        #expect((try spec.makeModel() as? InputTransforming)?.transformInput == true)
        #expect(ModelSpec(architecture: "googlenet", classNames: ["a", "b"]).metadata["transform_input"] == nil)
    }

    @Test func grayTrainedCheckpointKeepsItsChannelsAndNormalisation() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let spec = ModelSpec(architecture: "small_cnn", classNames: ["a", "b", "c"], inputChannels: 1,
                             preprocessing: ModelSpec.fashionMNISTPreprocessing)
        let path = cache.root + "/gray.safetensors"
        try TrainingCheckpoint.save(model: try spec.makeModel(seed: 0), spec: spec, state: nil, to: path)
        let loaded = try LoadedModel.load(weights: path, cache: cache)
        #expect(loaded.channels == 1 && loaded.imageMode == .gray && loaded.classNames == ["a", "b", "c"])
        #expect(loaded.preset.mean == [0.2860] && loaded.preset.std == [0.3530] && loaded.preset.cropSize == 28)
        let photo = try Image(contentsOf: LoadingFixture.repositoryRoot.appendingPathComponent("Datasets/samples/coffee.jpg").path)
        let input = loaded.preprocess(photo)
        #expect(input.shape == [1, 28, 28])
        #expect(loaded.probabilities([input]).shape == [1, 3])
    }

    @Test func failuresNameTheFileAndWhatToDo() throws {
        let cache = try LoadingFixture.scratchCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        let (plain, _) = try LoadingFixture.savedResNet18(metadata: [:], in: cache.root)
        #expect(message { _ = try LoadedModel.load(weights: plain, cache: cache) }
            .hasPrefix("\(plain): the file does not record its architecture; pass --model NAME"))
        #expect(message { _ = try LoadedModel.load(weights: "resnet18", cache: cache) }
            == "weights 'resnet18' are not in the cache (\(cache.root)/checkpoints/resnet18-f37072fd.pth); run `vision zoo download resnet18`")
        #expect(message { _ = try LoadedModel.load(model: "vgg11_bn", cache: cache) }.contains("run `vision zoo download vgg11_bn`"))
        #expect(message { _ = try LoadedModel.load(model: "small_cnn", cache: cache) }
            == "no pretrained weights named 'small_cnn' in the zoo; pass --weights FILE")
        #expect(message { _ = try ModelName("resnet7") }.hasPrefix("unknown model 'resnet7'; architectures: "))
        #expect(message { _ = try WeightsFile("nowhere.pth", cache: cache, option: "--pretrained") }
            .hasPrefix("--pretrained nowhere.pth: no such file, and not a zoo name (zoo names: resnet18, "))
        // resnet18 weights into resnet34: the first key resnet34 has and the file lacks.
        let mismatch = message { _ = try LoadedModel.load(model: "resnet34", weights: plain, cache: cache) }
        #expect(mismatch.hasPrefix("\(plain): weights do not match resnet34 (1000 classes): layer1.2.conv1.weight is missing from the file"),
                "\(mismatch)")
    }

    @Test func classCountComesFromTheLastTwoDimensionalWeight() throws {
        let model = try Architectures.build("vgg11", numClasses: 7)
        #expect(inferredClassCount(model.checkpointStateDict()) == 7)
        #expect(inferredClassCount(StateDict()) == nil)
        let name = try ModelName("vgg11")
        #expect(name.architecture == "vgg11" && name.zooEntry?.name == "vgg11")
        #expect(try ModelName("resnet101").zooEntry?.preset.resizeSize == 256)
    }

    /// A zoo name's preset normalises with its entry's mean/std: efficientnet_v2_l maps pixel
    /// values v/255 to (v/255 − 0.5)/0.5, every other entry with ImageNet's values.
    @Test func zooPresetNormalisesWithItsEntrysMeanAndStd() throws {
        let image = Image(width: 500, height: 500, channels: 3, value: 255)
        let large = try #require(try ModelName("efficientnet_v2_l").zooEntry).preset.imagePreset
        #expect(large.mean == [0.5, 0.5, 0.5] && large.std == [0.5, 0.5, 0.5] && large.cropSize == 480)
        #expect(large(image).scalars.allSatisfy { Swift.abs($0 - 1) <= 1e-6 })
        let small = try #require(try ModelName("efficientnet_v2_s").zooEntry).preset.imagePreset
        let expected = (0..<3).map { (1 - small.mean[$0]) / small.std[$0] }
        #expect(small.mean == ImageClassificationPreset.imagenetMean && small.std == ImageClassificationPreset.imagenetStd)
        let values = small(image).scalars, plane = values.count / 3
        #expect((0..<3).allSatisfy { c in Swift.abs(values[c * plane] - expected[c]) <= 1e-5 })
    }
}

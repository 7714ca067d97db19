// The zoo manifest: every entry resolves to an architecture, carries torchvision's hash
// convention, and the Swift data the binary embeds equals Weights/zoo.json and the category list.

import Foundation
import Testing
import SwiftVision

@Suite struct ZooManifestTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func requiredEntriesExist() throws {
        let required = ["resnet18", "resnet34", "resnet50", "resnet50_v2", "resnet101", "resnet152", "vgg11", "vgg13",
                        "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "alexnet", "resnext50_32x4d",
                        "wide_resnet50_2"]
        for name in required { #expect(Zoo.entry(named: name) != nil, "missing zoo entry \(name)") }
        #expect(Set(Zoo.names).count == Zoo.names.count, "duplicate zoo names")
        #expect(Zoo.entry(named: "resnet18")?.fileName == "resnet18-f37072fd.pth")
        #expect(Zoo.entry(named: "resnet50")?.fileName == "resnet50-0676ba61.pth")
        #expect(Zoo.entry(named: "resnet50_v2")?.fileName == "resnet50-11ad3fa6.pth")
        #expect(Zoo.entry(named: "vgg16")?.fileName == "vgg16-397923af.pth")
        #expect(Zoo.entry(named: "alexnet")?.fileName == "alexnet-owt-7be5be79.pth")
        #expect(Zoo.entry(named: "resnet50_v2")?.preset == ZooPreset(resizeSize: 232, cropSize: 224, interpolation: "bilinear"))
        #expect(Zoo.entry(named: "resnet18")?.preset == .imagenet)
        #expect(Zoo.entry(named: "resnet18")?.numParams == 11_689_512)
        #expect(Zoo.entry(named: "resnet18")?.acc1 == 69.758)
        #expect(throws: UnknownZooEntry.self) { try Zoo.entry("resnet9000") }
    }

    @Test func everyEntryIsWellFormed() {
        let hex = Set("0123456789abcdef")
        for e in Zoo.entries {
            #expect(Architectures.names.contains(e.architecture), "\(e.name): unknown architecture \(e.architecture)")
            #expect(e.sha256Prefix.count >= 8 && e.sha256Prefix.allSatisfy(hex.contains), "\(e.name): bad hash prefix")
            #expect(e.fileName.hasSuffix("-\(e.sha256Prefix).pth"), "\(e.name): hash prefix not in \(e.fileName)")
            #expect(e.url == "https://download.pytorch.org/models/" + e.fileName)
            #expect(e.numClasses == 1000 && e.categories.count == 1000)
            #expect(e.acc1 > 50 && e.acc1 < e.acc5 && e.acc5 < 100)
            #expect(e.numParams > 1_000_000)
            #expect(e.preset.cropSize >= 224 && e.preset.cropSize <= 600 && e.preset.resizeSize >= e.preset.cropSize, "\(e.name)")
            #expect(["bilinear", "bicubic"].contains(e.preset.interpolation), "\(e.name)")
            #expect(["", "_v2", "_swag", "_swag_linear"].map { e.architecture + $0 }.contains(e.name), "\(e.name)")
            // torchvision's googlenet and inception_v3 builders set transform_input with weights.
            #expect(e.transformInput == ["googlenet", "inception_v3"].contains(e.architecture), "\(e.name)")
        }
    }

    /// Presets that differ from the ResNets' 256/224 bilinear, as torchvision's enums give them.
    @Test func familyPresetsAreTorchvisions() throws {
        for (name, resize, crop, interpolation) in [("efficientnet_b0", 256, 224, "bicubic"), ("efficientnet_b7", 600, 600, "bicubic"),
                                                   ("efficientnet_v2_s", 384, 384, "bilinear"), ("convnext_tiny", 236, 224, "bilinear"),
                                                   ("regnet_y_400mf_v2", 232, 224, "bilinear"), ("mobilenet_v3_large", 256, 224, "bilinear"),
                                                   ("googlenet", 256, 224, "bilinear"), ("inception_v3", 342, 299, "bilinear"),
                                                   ("regnet_y_16gf_swag", 384, 384, "bicubic"), ("regnet_y_32gf_swag_linear", 224, 224, "bicubic"),
                                                   ("regnet_y_128gf_swag", 384, 384, "bicubic"), ("regnet_y_128gf_swag_linear", 224, 224, "bicubic")] {
            let e = try #require(Zoo.entry(named: name))
            #expect(e.preset.resizeSize == resize && e.preset.cropSize == crop && e.preset.interpolation == interpolation, "\(name)")
        }
    }

    /// efficientnet_v2_l's preset normalises with 0.5/0.5 (torchvision's enum), every other entry
    /// with ImageNet's mean/std; the non-default values survive the checkpoint metadata string.
    @Test func normalizationIsTorchvisions() throws {
        for e in Zoo.entries {
            let half = e.architecture == "efficientnet_v2_l"
            #expect(e.preset.mean == (half ? [0.5, 0.5, 0.5] : [0.485, 0.456, 0.406]), "\(e.name)")
            #expect(e.preset.std == (half ? [0.5, 0.5, 0.5] : [0.229, 0.224, 0.225]), "\(e.name)")
        }
        let large = try #require(Zoo.entry(named: "efficientnet_v2_l")).preset
        #expect(large.metadataValue == "imagenet-classification(resize=480,crop=480,interpolation=bicubic,mean=0.5/0.5/0.5,std=0.5/0.5/0.5)")
        #expect(ZooPreset(metadataValue: large.metadataValue) == large)
        #expect(ZooPreset.imagenet.metadataValue == "imagenet-classification(resize=256,crop=224,interpolation=bilinear)")
        let custom = ZooPreset(resizeSize: 32, cropSize: 28, mean: [0.286], std: [0.353])
        #expect(ZooPreset(metadataValue: custom.metadataValue) == custom)
        for bad in ["imagenet-classification(mean=0.5/0.5)", "imagenet-classification(std=0/1/1)",
                    "imagenet-classification(mean=a/b/c,std=1/1/1)", "imagenet-classification(mean=,std=1)"] {
            #expect(ZooPreset(metadataValue: bad) == nil, "\(bad)")
        }
    }

    /// torchvision's published parameter count of every entry is that of the model this package
    /// builds for it (the weights would not load otherwise; checked without downloading them).
    /// googlenet's count is without its auxiliary heads, which torchvision's builder drops after
    /// loading the weights (inception_v3's keeps its head, and its count includes it).
    @Test func everyEntrysParameterCountIsTheBuiltModels() throws {
        for e in Zoo.entries {
            let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(e.architecture, numClasses: e.numClasses) }
            let dropped = e.architecture == "googlenet" ? ["aux1.", "aux2."] : []
            let count = model.namedParameters().filter { p in !dropped.contains { p.name.hasPrefix($0) } }
                .reduce(0) { $0 + $1.parameter.value.count }
            #expect(count == e.numParams, "\(e.name): \(count) parameters built, torchvision publishes \(e.numParams)")
        }
    }

    @Test func embeddedDataEqualsWeightsDirectory() throws {
        let json = try Data(contentsOf: Self.repositoryRoot.appendingPathComponent("Weights/zoo.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let items = try #require(root["entries"] as? [[String: Any]])
        #expect(items.count == Zoo.entries.count)
        for (item, e) in zip(items, Zoo.entries) {
            #expect(item["name"] as? String == e.name)
            #expect(item["architecture"] as? String == e.architecture)
            #expect(item["url"] as? String == e.url)
            #expect(item["fileName"] as? String == e.fileName)
            #expect(item["sha256Prefix"] as? String == e.sha256Prefix)
            #expect(item["resizeSize"] as? Int == e.preset.resizeSize)
            #expect(item["cropSize"] as? Int == e.preset.cropSize)
            #expect((item["mean"] as? [Double])?.map(Float.init) == e.preset.mean, "\(e.name)")
            #expect((item["std"] as? [Double])?.map(Float.init) == e.preset.std, "\(e.name)")
            #expect(item["numParams"] as? Int == e.numParams)
            #expect(item["acc1"] as? Double == e.acc1)
            #expect(item["acc5"] as? Double == e.acc5)
            #expect(item["weights"] as? String == e.weights)
            #expect((item["transformInput"] as? Bool ?? false) == e.transformInput, "\(e.name)")
        }
        let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("Weights/imagenet_categories.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines == Zoo.imagenetCategories)
        #expect(Zoo.imagenetCategories.count == 1000)
        #expect(Zoo.imagenetCategories.first == "tench" && Zoo.imagenetCategories[281] == "tabby" && Zoo.imagenetCategories.last == "toilet tissue")
    }

    @Test func presetMetadataRoundTrips() {
        let v2 = ZooPreset(resizeSize: 232, cropSize: 224, interpolation: "bicubic")
        #expect(v2.metadataValue == "imagenet-classification(resize=232,crop=224,interpolation=bicubic)")
        #expect(ZooPreset(metadataValue: v2.metadataValue) == v2)
        #expect(ZooPreset(metadataValue: "imagenet-classification") == .imagenet)
        #expect(ZooPreset(metadataValue: "imagenet-classification(resize=abc)") == nil)
        #expect(ZooPreset(metadataValue: "cifar") == nil)
    }

    @Test func cacheDirectoryFollowsVisionHome() {
        #expect(ZooCache(environment: ["VISION_HOME": "/data/vh", "HOME": "/home/u"]).root == "/data/vh")
        #expect(ZooCache(environment: ["VISION_HOME": "", "HOME": "/home/u"]).root == "/home/u/.cache/swiftvision")
        #expect(ZooCache(environment: ["HOME": "/home/u"]).checkpointsDirectory == "/home/u/.cache/swiftvision/checkpoints")
        let entry = Zoo.entry(named: "resnet18")!
        #expect(ZooCache(root: "/c").path(for: entry) == "/c/checkpoints/resnet18-f37072fd.pth")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-cache-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = ZooCache(root: root)
        #expect(!cache.isCached(entry))
        #expect(throws: Never.self) { try cache.createDirectories() }
        _ = FileManager.default.createFile(atPath: cache.path(for: entry), contents: Data([1]))
        #expect(cache.isCached(entry))
    }
}

// One entry of the model zoo: which architecture, where its torchvision weights live, how to
// check them, how to preprocess for them, and what torchvision publishes about them.

/// torchvision's eval preset for a set of weights: resize the shorter side, centre-crop, normalise
/// with a per-channel mean/std (ImageNet's for almost every entry; 0.5 for efficientnet_v2_l).
/// `Models` knows nothing of images, so this is plain data; the CLI turns it into an
/// `ImageClassificationPreset`.
public struct ZooPreset: Sendable, Equatable {
    /// Shorter side after resizing (256 for V1 weights, 232 for most V2 weights).
    public var resizeSize: Int
    /// Side of the centre crop.
    public var cropSize: Int
    /// Resampling filter name: `bilinear`, `bicubic` or `nearest`.
    public var interpolation: String
    /// Per-channel mean subtracted after scaling pixels to 0…1.
    public var mean: [Float]
    /// Per-channel standard deviation divided by after subtracting `mean`.
    public var std: [Float]

    /// The preset name stored in a checkpoint's `preprocessing` metadata.
    public static let metadataName = "imagenet-classification"
    /// ImageNet's channel means (torchvision's `ImageClassification` default).
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    /// ImageNet's channel standard deviations (torchvision's `ImageClassification` default).
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    public init(resizeSize: Int = 256, cropSize: Int = 224, interpolation: String = "bilinear",
                mean: [Float] = Self.imagenetMean, std: [Float] = Self.imagenetStd) {
        self.resizeSize = resizeSize
        self.cropSize = cropSize
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
    }

    /// torchvision's default ImageNet preset (resize 256, crop 224, bilinear).
    public static let imagenet = ZooPreset()

    /// Whether the preset normalises with ImageNet's mean and std.
    public var hasImagenetNormalization: Bool { mean == Self.imagenetMean && std == Self.imagenetStd }

    /// The mean and std as the metadata string writes them: `mean=0.5/0.5/0.5,std=0.5/0.5/0.5`.
    public var normalizationText: String {
        let list = { (values: [Float]) in values.map { "\($0)" }.joined(separator: "/") }
        return "mean=\(list(mean)),std=\(list(std))"
    }

    /// The `preprocessing` metadata value:
    /// `imagenet-classification(resize=256,crop=224,interpolation=bilinear)`, with
    /// `,mean=0.5/0.5/0.5,std=0.5/0.5/0.5` appended when they are not ImageNet's.
    public var metadataValue: String {
        "\(Self.metadataName)(resize=\(resizeSize),crop=\(cropSize),interpolation=\(interpolation)"
            + (hasImagenetNormalization ? "" : "," + normalizationText) + ")"
    }

    /// Parses a `preprocessing` metadata value. A bare `imagenet-classification` is the default
    /// preset; parameters not given keep their defaults. Returns nil for other preset names or
    /// malformed parameters (including `mean`/`std` lists of different lengths or a `std` ≤ 0).
    public init?(metadataValue text: String) {
        self.init()
        guard text.hasPrefix(Self.metadataName) else { return nil }
        var rest = text.dropFirst(Self.metadataName.count)
        if rest.isEmpty { return }
        guard rest.first == "(", rest.last == ")" else { return nil }
        rest = rest.dropFirst().dropLast()
        for part in rest.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "resize": guard let v = Int(kv[1]), v > 0 else { return nil }; resizeSize = v
            case "crop": guard let v = Int(kv[1]), v > 0 else { return nil }; cropSize = v
            case "interpolation": interpolation = kv[1]
            case "mean", "std":
                let parts = kv[1].split(separator: "/", omittingEmptySubsequences: false)
                let values = parts.compactMap { Float($0) }.filter(\.isFinite)
                guard !values.isEmpty, values.count == parts.count else { return nil }
                if kv[0] == "mean" { mean = values } else { std = values }
            default: return nil
            }
        }
        guard mean.count == std.count, std.allSatisfy({ $0 > 0 }) else { return nil }
    }
}

/// A set of pretrained torchvision weights (see `Zoo.entries`).
public struct ZooEntry: Sendable, Equatable {
    /// Zoo name: the architecture name for IMAGENET1K_V1 weights, `<arch>_v2` for IMAGENET1K_V2,
    /// `<arch>_swag` for IMAGENET1K_SWAG_E2E_V1 and `<arch>_swag_linear` for IMAGENET1K_SWAG_LINEAR_V1.
    public var name: String
    /// Builder name for `Architectures.build`.
    public var architecture: String
    /// torchvision's enum member, e.g. `ResNet50_Weights.IMAGENET1K_V2`.
    public var weights: String
    /// Download URL on download.pytorch.org.
    public var url: String
    /// Leading hex digits of the file's SHA-256 (torchvision's file-name convention).
    public var sha256Prefix: String
    /// Eval preprocessing for these weights.
    public var preset: ZooPreset
    /// Number of classes (1000: ImageNet-1k, names in `Zoo.imagenetCategories`).
    public var numClasses: Int
    /// Published ImageNet-1k top-1 accuracy, percent.
    public var acc1: Double
    /// Published ImageNet-1k top-5 accuracy, percent.
    public var acc5: Double
    /// Number of parameters of the model torchvision's builder returns with these weights
    /// (googlenet's drops its auxiliary heads, inception_v3's keeps its one).
    public var numParams: Int
    /// Whether the model must run with torchvision's `transform_input` for these weights (as
    /// torchvision's googlenet and inception_v3 builders set it when given weights).
    public var transformInput: Bool

    public init(name: String, architecture: String, weights: String, url: String, sha256Prefix: String,
                preset: ZooPreset, numClasses: Int, acc1: Double, acc5: Double, numParams: Int,
                transformInput: Bool = false) {
        self.name = name; self.architecture = architecture; self.weights = weights; self.url = url
        self.sha256Prefix = sha256Prefix; self.preset = preset; self.numClasses = numClasses
        self.acc1 = acc1; self.acc5 = acc5; self.numParams = numParams; self.transformInput = transformInput
    }

    /// The file name, the last path component of `url` (e.g. `resnet18-f37072fd.pth`).
    public var fileName: String { String(url.split(separator: "/").last ?? "") }

    /// Class names: ImageNet-1k's for the 1000-class entries.
    public var categories: [String] { numClasses == Zoo.imagenetCategories.count ? Zoo.imagenetCategories : [] }
}

// Model builders by torchvision name.

import NN

/// The architectures SwiftVision can build, by torchvision's builder names.
public enum Architectures {
    /// Builder names, sorted.
    public static var names: [String] { (Array(builders.keys) + Array(channelBuilders.keys)).sorted() }

    static let builders: [String: @Sendable (Int) -> Module] = [
        "resnet18": { ResNet(block: .basic, layers: [2, 2, 2, 2], numClasses: $0) },
        "resnet34": { ResNet(block: .basic, layers: [3, 4, 6, 3], numClasses: $0) },
        "resnet50": { ResNet(block: .bottleneck, layers: [3, 4, 6, 3], numClasses: $0) },
        "resnet101": { ResNet(block: .bottleneck, layers: [3, 4, 23, 3], numClasses: $0) },
        "resnet152": { ResNet(block: .bottleneck, layers: [3, 8, 36, 3], numClasses: $0) },
        "resnext50_32x4d": { ResNet(block: .bottleneck, layers: [3, 4, 6, 3], numClasses: $0, groups: 32, widthPerGroup: 4) },
        "resnext101_32x8d": { ResNet(block: .bottleneck, layers: [3, 4, 23, 3], numClasses: $0, groups: 32, widthPerGroup: 8) },
        "wide_resnet50_2": { ResNet(block: .bottleneck, layers: [3, 4, 6, 3], numClasses: $0, widthPerGroup: 128) },
        "wide_resnet101_2": { ResNet(block: .bottleneck, layers: [3, 4, 23, 3], numClasses: $0, widthPerGroup: 128) },
        "vgg11": { VGG(depth: 11, numClasses: $0) },
        "vgg13": { VGG(depth: 13, numClasses: $0) },
        "vgg16": { VGG(depth: 16, numClasses: $0) },
        "vgg19": { VGG(depth: 19, numClasses: $0) },
        "vgg11_bn": { VGG(depth: 11, batchNorm: true, numClasses: $0) },
        "vgg13_bn": { VGG(depth: 13, batchNorm: true, numClasses: $0) },
        "vgg16_bn": { VGG(depth: 16, batchNorm: true, numClasses: $0) },
        "vgg19_bn": { VGG(depth: 19, batchNorm: true, numClasses: $0) },
        "alexnet": { AlexNet(numClasses: $0) },
        "mobilenet_v2": { MobileNetV2(numClasses: $0) },
        "squeezenet1_0": { SqueezeNet(version: .v1_0, numClasses: $0) },
        "squeezenet1_1": { SqueezeNet(version: .v1_1, numClasses: $0) },
        "densenet121": { DenseNet(growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64, numClasses: $0) },
        "densenet161": { DenseNet(growthRate: 48, blockConfig: [6, 12, 36, 24], numInitFeatures: 96, numClasses: $0) },
        "densenet169": { DenseNet(growthRate: 32, blockConfig: [6, 12, 32, 32], numInitFeatures: 64, numClasses: $0) },
        "densenet201": { DenseNet(growthRate: 32, blockConfig: [6, 12, 48, 32], numInitFeatures: 64, numClasses: $0) },
        "googlenet": { GoogLeNet(numClasses: $0) },
        "inception_v3": { InceptionV3(numClasses: $0) },
        "shufflenet_v2_x0_5": { ShuffleNetV2(width: "0.5", numClasses: $0) },
        "shufflenet_v2_x1_0": { ShuffleNetV2(width: "1.0", numClasses: $0) },
        "shufflenet_v2_x1_5": { ShuffleNetV2(width: "1.5", numClasses: $0) },
        "shufflenet_v2_x2_0": { ShuffleNetV2(width: "2.0", numClasses: $0) },
        "regnet_y_400mf": { RegNet(blockParams: .init(depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, seRatio: 0.25), numClasses: $0) },
        "regnet_y_800mf": { RegNet(blockParams: .init(depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, seRatio: 0.25), numClasses: $0) },
        "regnet_y_1_6gf": { RegNet(blockParams: .init(depth: 27, w0: 48, wa: 20.71, wm: 2.65, groupWidth: 24, seRatio: 0.25), numClasses: $0) },
        "regnet_y_3_2gf": { RegNet(blockParams: .init(depth: 21, w0: 80, wa: 42.63, wm: 2.66, groupWidth: 24, seRatio: 0.25), numClasses: $0) },
        "regnet_y_8gf": { RegNet(blockParams: .init(depth: 17, w0: 192, wa: 76.82, wm: 2.19, groupWidth: 56, seRatio: 0.25), numClasses: $0) },
        "regnet_y_16gf": { RegNet(blockParams: .init(depth: 18, w0: 200, wa: 106.23, wm: 2.48, groupWidth: 112, seRatio: 0.25), numClasses: $0) },
        "regnet_y_32gf": { RegNet(blockParams: .init(depth: 20, w0: 232, wa: 115.89, wm: 2.53, groupWidth: 232, seRatio: 0.25), numClasses: $0) },
        "regnet_y_128gf": { RegNet(blockParams: .init(depth: 27, w0: 456, wa: 160.83, wm: 2.52, groupWidth: 264, seRatio: 0.25), numClasses: $0) },
        "regnet_x_400mf": { RegNet(blockParams: .init(depth: 22, w0: 24, wa: 24.48, wm: 2.54, groupWidth: 16), numClasses: $0) },
        "regnet_x_800mf": { RegNet(blockParams: .init(depth: 16, w0: 56, wa: 35.73, wm: 2.28, groupWidth: 16), numClasses: $0) },
        "regnet_x_1_6gf": { RegNet(blockParams: .init(depth: 18, w0: 80, wa: 34.01, wm: 2.25, groupWidth: 24), numClasses: $0) },
        "regnet_x_3_2gf": { RegNet(blockParams: .init(depth: 25, w0: 88, wa: 26.31, wm: 2.25, groupWidth: 48), numClasses: $0) },
        "regnet_x_8gf": { RegNet(blockParams: .init(depth: 23, w0: 80, wa: 49.56, wm: 2.88, groupWidth: 120), numClasses: $0) },
        "regnet_x_16gf": { RegNet(blockParams: .init(depth: 22, w0: 216, wa: 55.59, wm: 2.1, groupWidth: 128), numClasses: $0) },
        "regnet_x_32gf": { RegNet(blockParams: .init(depth: 23, w0: 320, wa: 69.86, wm: 2.0, groupWidth: 168), numClasses: $0) },
        "convnext_tiny": { ConvNeXt(blockSetting: [.init(96, 192, 3), .init(192, 384, 3), .init(384, 768, 9), .init(768, nil, 3)],
                             stochasticDepthProb: 0.1, numClasses: $0) },
        "convnext_small": { ConvNeXt(blockSetting: [.init(96, 192, 3), .init(192, 384, 3), .init(384, 768, 27), .init(768, nil, 3)],
                             stochasticDepthProb: 0.4, numClasses: $0) },
        "convnext_base": { ConvNeXt(blockSetting: [.init(128, 256, 3), .init(256, 512, 3), .init(512, 1024, 27), .init(1024, nil, 3)],
                             stochasticDepthProb: 0.5, numClasses: $0) },
        "convnext_large": { ConvNeXt(blockSetting: [.init(192, 384, 3), .init(384, 768, 3), .init(768, 1536, 27), .init(1536, nil, 3)],
                             stochasticDepthProb: 0.5, numClasses: $0) },
        "mobilenet_v3_large": { MobileNetV3(.large, numClasses: $0) },
        "mobilenet_v3_small": { MobileNetV3(.small, numClasses: $0) },
        "mnasnet0_5": { MNASNet(alpha: 0.5, numClasses: $0) },
        "mnasnet0_75": { MNASNet(alpha: 0.75, numClasses: $0) },
        "mnasnet1_0": { MNASNet(alpha: 1.0, numClasses: $0) },
        "mnasnet1_3": { MNASNet(alpha: 1.3, numClasses: $0) },
        "efficientnet_b0": { EfficientNet(.b0, numClasses: $0) },
        "efficientnet_b1": { EfficientNet(.b1, numClasses: $0) },
        "efficientnet_b2": { EfficientNet(.b2, numClasses: $0) },
        "efficientnet_b3": { EfficientNet(.b3, numClasses: $0) },
        "efficientnet_b4": { EfficientNet(.b4, numClasses: $0) },
        "efficientnet_b5": { EfficientNet(.b5, numClasses: $0) },
        "efficientnet_b6": { EfficientNet(.b6, numClasses: $0) },
        "efficientnet_b7": { EfficientNet(.b7, numClasses: $0) },
        "efficientnet_v2_s": { EfficientNet(.v2S, numClasses: $0) },
        "efficientnet_v2_m": { EfficientNet(.v2M, numClasses: $0) },
        "efficientnet_v2_l": { EfficientNet(.v2L, numClasses: $0) },
    ]

    /// Builders that also take the number of input channels (numClasses, inputChannels).
    static let channelBuilders: [String: @Sendable (Int, Int) -> Module] = [
        "small_cnn": { SmallCNN(inputChannels: $1, numClasses: $0) },
    ]

    /// Builds `name` with `numClasses` outputs for images with `inputChannels` channels, or throws
    /// listing the known names. Only `small_cnn` takes other than 3 input channels.
    public static func build(_ name: String, numClasses: Int = 1000, inputChannels: Int = 3) throws -> Module {
        if let builder = channelBuilders[name] {
            guard inputChannels > 0 else { throw UnsupportedInputChannels(name: name, inputChannels: inputChannels) }
            return builder(numClasses, inputChannels)
        }
        guard let builder = builders[name] else { throw UnknownArchitecture(name: name) }
        guard inputChannels == 3 else { throw UnsupportedInputChannels(name: name, inputChannels: inputChannels) }
        return builder(numClasses)
    }
}

/// An architecture asked for a number of input channels it cannot take.
public struct UnsupportedInputChannels: Error, CustomStringConvertible {
    public let name: String
    public let inputChannels: Int
    public var description: String {
        guard Architectures.channelBuilders[name] == nil else { return "model '\(name)' cannot take \(inputChannels) input channels" }
        return "model '\(name)' takes 3 input channels, not \(inputChannels) (architectures for other channel counts: "
            + "\(Architectures.channelBuilders.keys.sorted().joined(separator: ", ")))"
    }
}

/// An architecture name that SwiftVision does not know.
public struct UnknownArchitecture: Error, CustomStringConvertible {
    public let name: String
    public var description: String {
        "unknown model '\(name)'; known models: \(Architectures.names.joined(separator: ", "))"
    }
}

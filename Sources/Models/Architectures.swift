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

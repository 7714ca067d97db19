// SqueezeNet 1.0 and 1.1 with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.squeezenet): a stem conv, Fire modules (1×1 squeeze, then 1×1 and 3×3
// expands concatenated) between ceil-mode max pools, and a fully convolutional classifier
// (dropout, 1×1 conv to the classes, ReLU, global average pooling). No batch norm.

import NN
import Tensors

/// torchvision's SqueezeNet `Fire` module: a 1×1 squeeze conv, then a 1×1 and a 3×3 expand conv
/// on its output, each followed by ReLU, concatenated along channels.
public final class Fire: Module, @unchecked Sendable {
    public let squeeze: Conv2d, expand1x1: Conv2d, expand3x3: Conv2d

    init(_ input: Int, squeeze squeezeChannels: Int, expand1x1 e1: Int, expand3x3 e3: Int) {
        squeeze = Conv2d(input, squeezeChannels, kernelSize: 1)
        expand1x1 = Conv2d(squeezeChannels, e1, kernelSize: 1)
        expand3x3 = Conv2d(squeezeChannels, e3, kernelSize: 3, padding: 1)
        super.init()
        registerModule("squeeze", squeeze)
        registerModule("squeeze_activation", ReLU(inplace: true))
        registerModule("expand1x1", expand1x1)
        registerModule("expand1x1_activation", ReLU(inplace: true))
        registerModule("expand3x3", expand3x3)
        registerModule("expand3x3_activation", ReLU(inplace: true))
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let s = squeeze.forward(x, then: nil, activation: .relu)
        return Tensor.cat([expand1x1.forward(s, then: nil, activation: .relu),
                           expand3x3.forward(s, then: nil, activation: .relu)], dim: 1)
    }
}

/// torchvision's `SqueezeNet` (`version` "1_0" or "1_1", dropout 0.5 before the final conv).
public final class SqueezeNet: Module, @unchecked Sendable {
    /// The torchvision versions.
    public enum Version: String, Sendable { case v1_0 = "1_0", v1_1 = "1_1" }

    public let features: Sequential
    /// Dropout, the final 1×1 conv (`classifier.1`), ReLU, global average pooling.
    public let classifier: Sequential
    public let version: Version

    public init(version: Version = .v1_0, numClasses: Int = 1000, dropout: Float = 0.5) {
        self.version = version
        func pool() -> MaxPool2d { MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true) }
        switch version {
        case .v1_0:
            features = Sequential(
                Conv2d(3, 96, kernelSize: 7, stride: 2), ReLU(inplace: true), pool(),
                Fire(96, squeeze: 16, expand1x1: 64, expand3x3: 64), Fire(128, squeeze: 16, expand1x1: 64, expand3x3: 64),
                Fire(128, squeeze: 32, expand1x1: 128, expand3x3: 128), pool(),
                Fire(256, squeeze: 32, expand1x1: 128, expand3x3: 128), Fire(256, squeeze: 48, expand1x1: 192, expand3x3: 192),
                Fire(384, squeeze: 48, expand1x1: 192, expand3x3: 192), Fire(384, squeeze: 64, expand1x1: 256, expand3x3: 256),
                pool(), Fire(512, squeeze: 64, expand1x1: 256, expand3x3: 256))
        case .v1_1:
            features = Sequential(
                Conv2d(3, 64, kernelSize: 3, stride: 2), ReLU(inplace: true), pool(),
                Fire(64, squeeze: 16, expand1x1: 64, expand3x3: 64), Fire(128, squeeze: 16, expand1x1: 64, expand3x3: 64), pool(),
                Fire(128, squeeze: 32, expand1x1: 128, expand3x3: 128), Fire(256, squeeze: 32, expand1x1: 128, expand3x3: 128),
                pool(),
                Fire(256, squeeze: 48, expand1x1: 192, expand3x3: 192), Fire(384, squeeze: 48, expand1x1: 192, expand3x3: 192),
                Fire(384, squeeze: 64, expand1x1: 256, expand3x3: 256), Fire(512, squeeze: 64, expand1x1: 256, expand3x3: 256))
        }
        let finalConv = Conv2d(512, numClasses, kernelSize: 1)
        classifier = Sequential(Dropout(p: dropout), finalConv, ReLU(inplace: true), AdaptiveAvgPool2d(1))
        super.init()
        registerModule("features", features)
        registerModule("classifier", classifier)
        // torchvision: the final conv normal(0, 0.01), every other conv kaiming_uniform (a = 0,
        // fan_in, leaky_relu's gain), every bias 0.
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                guard let conv = m as? Conv2d else { continue }
                conv.weight.value = conv === finalConv
                    ? Init.normal(conv.weight.shape, std: 0.01, generator: &g)
                    : Init.kaimingUniform(conv.weight.shape, generator: &g)
                conv.bias?.value = .zeros([conv.outChannels])
            }
        }
    }

    public override var summary: String { "SqueezeNet \(version.rawValue)" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(features(x)).flatten(startDim: 1)
    }
}

extension SqueezeNet: ClassifierHeads {
    /// The final 1×1 conv.
    public var classifierHeadPaths: [String] { ["classifier.1"] }
}

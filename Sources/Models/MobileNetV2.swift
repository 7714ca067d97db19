// MobileNetV2 with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.mobilenetv2): a 3×3/2 stem, inverted residual blocks (1×1 expansion, 3×3
// depthwise, linear 1×1 projection, a residual where the shape allows), a 1×1 head to 1280
// channels, global average pooling and a dropout + linear classifier; ReLU6 throughout.

import NN
import Tensors

/// torchvision's `_make_divisible`: `value` rounded to the nearest multiple of `divisor`, at least
/// `minValue` (default `divisor`), and never more than 10% below `value`.
func makeDivisible(_ value: Double, _ divisor: Int, minValue: Int? = nil) -> Int {
    var rounded = Swift.max(minValue ?? divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * value { rounded += divisor }
    return rounded
}

/// torchvision's `Conv2dNormActivation`: conv (padding (k − 1)/2, no bias) → BatchNorm2d (with
/// `bnEps`, `bnMomentum`) → activation, as a Sequential (keys `0.weight`, `1.weight`,
/// `1.running_mean`, ...).
func convNormActivation(_ input: Int, _ output: Int, kernelSize: Int = 3, stride: Int = 1, groups: Int = 1,
                        activation: Module? = ReLU6(), bnEps: Float = 1e-5, bnMomentum: Float = 0.1) -> Sequential {
    let layers: [Module] = [Conv2d(input, output, kernelSize: kernelSize, stride: stride, padding: (kernelSize - 1) / 2,
                                   groups: groups, bias: false),
                            BatchNorm2d(output, eps: bnEps, momentum: bnMomentum)] + (activation.map { [$0] } ?? [])
    return Sequential(layers)
}

/// torchvision's MobileNetV2 `InvertedResidual`: 1×1 expansion (when the ratio is not 1), 3×3
/// depthwise conv (the stride), 1×1 projection without activation, plus the input when the stride
/// is 1 and the channels agree.
public final class InvertedResidual: Module, @unchecked Sendable {
    public let conv: Sequential
    public let usesResidual: Bool

    init(_ input: Int, _ output: Int, stride: Int, expandRatio: Int) {
        let hidden = input * expandRatio
        var layers: [Module] = []
        if expandRatio != 1 { layers.append(convNormActivation(input, hidden, kernelSize: 1)) }
        layers += [convNormActivation(hidden, hidden, stride: stride, groups: hidden),
                   Conv2d(hidden, output, kernelSize: 1, bias: false), BatchNorm2d(output)]
        conv = Sequential(layers)
        usesResidual = stride == 1 && input == output
        super.init()
        registerModule("conv", conv)
    }

    public override func forward(_ x: Tensor) -> Tensor { usesResidual ? x + conv(x) : conv(x) }
}

/// torchvision's `MobileNetV2` (width multiplier 1 by default, `round_nearest` 8, dropout 0.2).
public final class MobileNetV2: Module, @unchecked Sendable {
    public let features: Sequential
    public let classifier: Sequential
    public let lastChannel: Int

    /// (expansion t, channels c, blocks n, first stride s) per stage, as torchvision's setting.
    static let stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    public init(numClasses: Int = 1000, widthMult: Double = 1, roundNearest: Int = 8, dropout: Float = 0.2) {
        var input = makeDivisible(32 * widthMult, roundNearest)
        lastChannel = makeDivisible(1280 * Swift.max(1, widthMult), roundNearest)
        var layers: [Module] = [convNormActivation(3, input, stride: 2)]
        for (t, c, n, s) in Self.stages {
            let output = makeDivisible(Double(c) * widthMult, roundNearest)
            for i in 0..<n {
                layers.append(InvertedResidual(input, output, stride: i == 0 ? s : 1, expandRatio: t))
                input = output
            }
        }
        layers.append(convNormActivation(input, lastChannel, kernelSize: 1))
        features = Sequential(layers)
        classifier = Sequential(Dropout(p: dropout), Linear(lastChannel, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal(fan_out) with its default leaky_relu (a = 0), bias 0; BN 1/0;
        // linear normal(0, 0.01), bias 0.
        initializeConvsAndLinearsLikeTorchvision(convNonlinearity: "leaky_relu")
    }

    public override var summary: String { "MobileNetV2" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(features(x).adaptiveAvgPool2d((1, 1)).flatten(startDim: 1))
    }
}

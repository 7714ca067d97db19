// MobileNetV3 (Large and Small) with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.mobilenetv3): a 3×3/2 Hardswish stem, inverted residual blocks whose
// kernel, expansion, squeeze-excitation and activation (ReLU or Hardswish) come from a per-block
// table, a 1×1 Hardswish head to 6× the last block's channels, global average pooling and a
// Linear → Hardswish → Dropout → Linear classifier. BatchNorm uses eps 0.001, momentum 0.01.

import NN
import Tensors

/// One row of torchvision's MobileNetV3 setting (`InvertedResidualConfig`), channels already
/// scaled by the width multiplier.
struct MobileNetV3BlockConfig {
    var input: Int, kernel: Int, expanded: Int, output: Int
    var squeezeExcitation: Bool, hardswish: Bool, stride: Int
}

/// torchvision's MobileNetV3 `InvertedResidual` (distinct from MobileNetV2's): 1×1 expansion
/// (when the expanded width differs), k×k depthwise conv (the stride), optional
/// squeeze-excitation (squeeze channels `_make_divisible(expanded / 4, 8)`, Hardsigmoid scale),
/// 1×1 projection without activation, plus the input when the stride is 1 and the channels agree.
/// Keys `block.N....`.
public final class MobileNetV3InvertedResidual: Module, @unchecked Sendable {
    public let block: Sequential
    public let usesResidual: Bool

    init(_ c: MobileNetV3BlockConfig) {
        let activation: () -> Module = { c.hardswish ? Hardswish() : ReLU() }
        let bn: (eps: Float, momentum: Float) = MobileNetV3.batchNorm
        var layers: [Module] = []
        if c.expanded != c.input {
            layers.append(convNormActivation(c.input, c.expanded, kernelSize: 1, activation: activation(),
                                             bnEps: bn.eps, bnMomentum: bn.momentum))
        }
        layers.append(convNormActivation(c.expanded, c.expanded, kernelSize: c.kernel, stride: c.stride, groups: c.expanded,
                                         activation: activation(), bnEps: bn.eps, bnMomentum: bn.momentum))
        if c.squeezeExcitation {
            layers.append(SqueezeExcitation(c.expanded, makeDivisible(Double(c.expanded / 4), 8), scaleActivation: Hardsigmoid()))
        }
        layers.append(convNormActivation(c.expanded, c.output, kernelSize: 1, activation: nil, bnEps: bn.eps, bnMomentum: bn.momentum))
        block = Sequential(layers)
        usesResidual = c.stride == 1 && c.input == c.output
        super.init()
        registerModule("block", block)
    }

    public override func forward(_ x: Tensor) -> Tensor { usesResidual ? block(x) + x : block(x) }
}

/// torchvision's `MobileNetV3` as built by `mobilenet_v3_large` and `mobilenet_v3_small`.
public final class MobileNetV3: Module, @unchecked Sendable {
    /// The two published architectures.
    public enum Variant: String, Sendable { case large, small }

    public let variant: Variant
    public let features: Sequential
    public let avgpool: AdaptiveAvgPool2d
    public let classifier: Sequential

    static let batchNorm: (eps: Float, momentum: Float) = (0.001, 0.01)

    /// torchvision's tables: (input, kernel, expanded, output, SE, Hardswish, stride); `reduce`
    /// divides the last stage's channels (torchvision's `reduced_tail`, 1 for classification).
    static func setting(_ variant: Variant, reduce r: Int) -> [(Int, Int, Int, Int, Bool, Bool, Int)] {
        switch variant {
        case .large:
            return [(16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
                    (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
                    (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
                    (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
                    (112, 5, 672, 160 / r, true, true, 2), (160 / r, 5, 960 / r, 160 / r, true, true, 1),
                    (160 / r, 5, 960 / r, 160 / r, true, true, 1)]
        case .small:
            return [(16, 3, 16, 16, true, false, 2), (16, 3, 72, 24, false, false, 2), (24, 3, 88, 24, false, false, 1),
                    (24, 5, 96, 40, true, true, 2), (40, 5, 240, 40, true, true, 1), (40, 5, 240, 40, true, true, 1),
                    (40, 5, 120, 48, true, true, 1), (48, 5, 144, 48, true, true, 1), (48, 5, 288, 96 / r, true, true, 2),
                    (96 / r, 5, 576 / r, 96 / r, true, true, 1), (96 / r, 5, 576 / r, 96 / r, true, true, 1)]
        }
    }

    /// `widthMult` scales every block's channels (rounded to multiples of 8) and the classifier's
    /// hidden width (1280 for Large, 1024 for Small); `reducedTail` halves the last stage.
    public init(_ variant: Variant, numClasses: Int = 1000, widthMult: Double = 1, reducedTail: Bool = false,
                dropout: Float = 0.2) {
        self.variant = variant
        let r = reducedTail ? 2 : 1
        let adjust = { (c: Int) in makeDivisible(Double(c) * widthMult, 8) }
        let configs = Self.setting(variant, reduce: r).map {
            MobileNetV3BlockConfig(input: adjust($0.0), kernel: $0.1, expanded: adjust($0.2), output: adjust($0.3),
                                   squeezeExcitation: $0.4, hardswish: $0.5, stride: $0.6)
        }
        let lastChannel = adjust((variant == .large ? 1280 : 1024) / r)
        let bn = Self.batchNorm
        let lastInput = configs.last!.output, lastOutput = 6 * lastInput
        features = Sequential([convNormActivation(3, configs[0].input, stride: 2, activation: Hardswish(),
                                                  bnEps: bn.eps, bnMomentum: bn.momentum)]
                              + configs.map { MobileNetV3InvertedResidual($0) }
                              + [convNormActivation(lastInput, lastOutput, kernelSize: 1, activation: Hardswish(),
                                                    bnEps: bn.eps, bnMomentum: bn.momentum)])
        avgpool = AdaptiveAvgPool2d(1)
        classifier = Sequential(Linear(lastOutput, lastChannel), Hardswish(), Dropout(p: dropout), Linear(lastChannel, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("avgpool", avgpool)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal(fan_out) with its default leaky_relu (a = 0), bias 0; BN 1/0;
        // linear normal(0, 0.01), bias 0.
        initializeConvsAndLinearsLikeTorchvision(convNonlinearity: "leaky_relu")
    }

    public override var summary: String { "MobileNetV3(\(variant.rawValue))" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(avgpool(features(x)).flatten(startDim: 1))
    }
}

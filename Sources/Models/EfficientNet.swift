// EfficientNet B0–B7 and EfficientNetV2 S/M/L with torchvision's exact structure, defaults and
// state-dict keys (torchvision.models.efficientnet). A 3×3/2 SiLU stem, one Sequential per stage
// of MBConv blocks (1×1 expansion, depthwise k×k, squeeze-excitation with SiLU, 1×1 projection)
// or, in V2's first stages, FusedMBConv blocks (one k×k expansion conv, then a 1×1 projection),
// a 1×1 SiLU head (4× the last stage's channels in V1, 1280 in V2), global average pooling and a
// dropout + linear classifier.
//
// The B-series scales torchvision's B0 table: channels by the width multiplier (rounded to
// multiples of 8 by `_make_divisible`) and block counts by the depth multiplier (rounded up).
// Stochastic depth on each residual branch grows linearly with the block's index over all
// blocks: p·i/total, from 0 for the first block. BatchNorm is PyTorch's default for B0–B4,
// eps 0.001 momentum 0.01 for B5–B7, and eps 0.001 for V2.

import NN
import Tensors

/// One stage of torchvision's EfficientNet setting (`MBConvConfig` / `FusedMBConvConfig`), channels
/// and depth already scaled.
struct MBConvStage {
    var fused: Bool
    var expandRatio: Double, kernel: Int, stride: Int, input: Int, output: Int, layers: Int
}

/// The BatchNorm settings of an EfficientNet's `norm_layer`.
struct EfficientNetBatchNorm {
    var eps: Float = 1e-5, momentum: Float = 0.1
}

/// torchvision's `MBConv`: 1×1 expansion (when the expanded width differs), k×k depthwise conv
/// (the stride), squeeze-excitation (input/4 squeeze channels, SiLU), 1×1 projection without
/// activation; on the residual path (stride 1, equal channels) the branch passes through
/// stochastic depth before the input is added. Keys `block.N....`.
public final class MBConv: Module, @unchecked Sendable {
    public let block: Sequential
    public let stochasticDepth: StochasticDepth
    public let usesResidual: Bool

    init(_ c: MBConvStage, stochasticDepthProb: Float, batchNorm bn: EfficientNetBatchNorm) {
        let expanded = makeDivisible(Double(c.input) * c.expandRatio, 8)
        var layers: [Module] = []
        if expanded != c.input {
            layers.append(convNormActivation(c.input, expanded, kernelSize: 1, activation: SiLU(), bnEps: bn.eps, bnMomentum: bn.momentum))
        }
        layers += [convNormActivation(expanded, expanded, kernelSize: c.kernel, stride: c.stride, groups: expanded, activation: SiLU(),
                                      bnEps: bn.eps, bnMomentum: bn.momentum),
                   SqueezeExcitation(expanded, Swift.max(1, c.input / 4), activation: SiLU()),
                   convNormActivation(expanded, c.output, kernelSize: 1, activation: nil, bnEps: bn.eps, bnMomentum: bn.momentum)]
        block = Sequential(layers)
        stochasticDepth = StochasticDepth(p: stochasticDepthProb, mode: .row)
        usesResidual = c.stride == 1 && c.input == c.output
        super.init()
        registerModule("block", block)
        registerModule("stochastic_depth", stochasticDepth)
    }

    public override func forward(_ x: Tensor) -> Tensor { usesResidual ? stochasticDepth(block(x)) + x : block(x) }
}

/// torchvision's `FusedMBConv`: a k×k expansion conv (the stride) and a 1×1 projection, or one
/// k×k conv when the expansion ratio keeps the width; stochastic depth on the residual path as
/// in `MBConv`. Keys `block.N....`.
public final class FusedMBConv: Module, @unchecked Sendable {
    public let block: Sequential
    public let stochasticDepth: StochasticDepth
    public let usesResidual: Bool

    init(_ c: MBConvStage, stochasticDepthProb: Float, batchNorm bn: EfficientNetBatchNorm) {
        let expanded = makeDivisible(Double(c.input) * c.expandRatio, 8)
        if expanded != c.input {
            block = Sequential(convNormActivation(c.input, expanded, kernelSize: c.kernel, stride: c.stride, activation: SiLU(),
                                                  bnEps: bn.eps, bnMomentum: bn.momentum),
                               convNormActivation(expanded, c.output, kernelSize: 1, activation: nil, bnEps: bn.eps, bnMomentum: bn.momentum))
        } else {
            block = Sequential(convNormActivation(c.input, c.output, kernelSize: c.kernel, stride: c.stride, activation: SiLU(),
                                                  bnEps: bn.eps, bnMomentum: bn.momentum))
        }
        stochasticDepth = StochasticDepth(p: stochasticDepthProb, mode: .row)
        usesResidual = c.stride == 1 && c.input == c.output
        super.init()
        registerModule("block", block)
        registerModule("stochastic_depth", stochasticDepth)
    }

    public override func forward(_ x: Tensor) -> Tensor { usesResidual ? stochasticDepth(block(x)) + x : block(x) }
}

/// torchvision's `EfficientNet` as built by `efficientnet_b0` ... `efficientnet_b7` and
/// `efficientnet_v2_s`, `_m`, `_l`.
public final class EfficientNet: Module, @unchecked Sendable {
    /// The published architectures.
    public enum Variant: String, Sendable, CaseIterable {
        case b0, b1, b2, b3, b4, b5, b6, b7
        case v2S = "v2_s", v2M = "v2_m", v2L = "v2_l"

        /// torchvision's builder default dropout before the classifier.
        public var dropout: Float {
            switch self {
            case .b0, .b1, .v2S: return 0.2
            case .b2, .b3, .v2M: return 0.3
            case .b4, .b5, .v2L: return 0.4
            case .b6, .b7: return 0.5
            }
        }

        /// (width, depth) multipliers of the B-series; nil for V2.
        var multipliers: (width: Double, depth: Double)? {
            switch self {
            case .b0: return (1.0, 1.0)
            case .b1: return (1.0, 1.1)
            case .b2: return (1.1, 1.2)
            case .b3: return (1.2, 1.4)
            case .b4: return (1.4, 1.8)
            case .b5: return (1.6, 2.2)
            case .b6: return (1.8, 2.6)
            case .b7: return (2.0, 3.1)
            case .v2S, .v2M, .v2L: return nil
            }
        }

        var batchNorm: EfficientNetBatchNorm {
            switch self {
            case .b0, .b1, .b2, .b3, .b4: return EfficientNetBatchNorm()
            case .b5, .b6, .b7: return EfficientNetBatchNorm(eps: 0.001, momentum: 0.01)
            case .v2S, .v2M, .v2L: return EfficientNetBatchNorm(eps: 0.001)
            }
        }

        /// torchvision's stage tables: (fused, expansion, kernel, stride, input, output, blocks),
        /// before the B-series scaling.
        var table: [(Bool, Double, Int, Int, Int, Int, Int)] {
            switch self {
            case .b0, .b1, .b2, .b3, .b4, .b5, .b6, .b7:
                return [(false, 1, 3, 1, 32, 16, 1), (false, 6, 3, 2, 16, 24, 2), (false, 6, 5, 2, 24, 40, 2),
                        (false, 6, 3, 2, 40, 80, 3), (false, 6, 5, 1, 80, 112, 3), (false, 6, 5, 2, 112, 192, 4),
                        (false, 6, 3, 1, 192, 320, 1)]
            case .v2S:
                return [(true, 1, 3, 1, 24, 24, 2), (true, 4, 3, 2, 24, 48, 4), (true, 4, 3, 2, 48, 64, 4),
                        (false, 4, 3, 2, 64, 128, 6), (false, 6, 3, 1, 128, 160, 9), (false, 6, 3, 2, 160, 256, 15)]
            case .v2M:
                return [(true, 1, 3, 1, 24, 24, 3), (true, 4, 3, 2, 24, 48, 5), (true, 4, 3, 2, 48, 80, 5),
                        (false, 4, 3, 2, 80, 160, 7), (false, 6, 3, 1, 160, 176, 14), (false, 6, 3, 2, 176, 304, 18),
                        (false, 6, 3, 1, 304, 512, 5)]
            case .v2L:
                return [(true, 1, 3, 1, 32, 32, 4), (true, 4, 3, 2, 32, 64, 7), (true, 4, 3, 2, 64, 96, 7),
                        (false, 4, 3, 2, 96, 192, 10), (false, 6, 3, 1, 192, 224, 19), (false, 6, 3, 2, 224, 384, 25),
                        (false, 6, 3, 1, 384, 640, 7)]
            }
        }

        /// The stages after `_MBConvConfig.adjust_channels` / `MBConvConfig.adjust_depth`.
        var stages: [MBConvStage] {
            let (width, depth) = multipliers ?? (1, 1)
            return table.map { fused, e, k, s, i, o, n in
                MBConvStage(fused: fused, expandRatio: e, kernel: k, stride: s, input: makeDivisible(Double(i) * width, 8),
                            output: makeDivisible(Double(o) * width, 8), layers: Int((Double(n) * depth).rounded(.up)))
            }
        }

        /// The head's output channels: 1280 for V2, 4× the last stage's otherwise.
        var lastChannel: Int? { multipliers == nil ? 1280 : nil }
    }

    public let variant: Variant
    public let features: Sequential
    public let avgpool: AdaptiveAvgPool2d
    public let classifier: Sequential

    /// `dropout` defaults to the builder's (`variant.dropout`); `stochasticDepthProb` is the
    /// probability of the last block (torchvision's 0.2 for every builder).
    public init(_ variant: Variant, numClasses: Int = 1000, dropout: Float? = nil, stochasticDepthProb: Double = 0.2) {
        self.variant = variant
        let stages = variant.stages, bn = variant.batchNorm
        let total = stages.reduce(0) { $0 + $1.layers }
        var layers: [Module] = [convNormActivation(3, stages[0].input, stride: 2, activation: SiLU(), bnEps: bn.eps, bnMomentum: bn.momentum)]
        var index = 0
        for stage in stages {
            var blocks: [Module] = []
            for i in 0..<stage.layers {
                var c = stage
                if i > 0 { c.input = c.output; c.stride = 1 }
                let p = Float(stochasticDepthProb * Double(index) / Double(total))
                blocks.append(c.fused ? FusedMBConv(c, stochasticDepthProb: p, batchNorm: bn) : MBConv(c, stochasticDepthProb: p, batchNorm: bn))
                index += 1
            }
            layers.append(Sequential(blocks))
        }
        let lastInput = stages.last!.output, lastOutput = variant.lastChannel ?? 4 * lastInput
        layers.append(convNormActivation(lastInput, lastOutput, kernelSize: 1, activation: SiLU(), bnEps: bn.eps, bnMomentum: bn.momentum))
        features = Sequential(layers)
        avgpool = AdaptiveAvgPool2d(1)
        classifier = Sequential(Dropout(p: dropout ?? variant.dropout), Linear(lastOutput, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("avgpool", avgpool)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal(fan_out) with its default leaky_relu (a = 0), bias 0; BN 1/0;
        // linear uniform(±1/√out_features), bias 0.
        initializeConvsAndLinearsLikeTorchvision(convNonlinearity: "leaky_relu", linear: .uniformInverseSqrtOutFeatures)
    }

    public override var summary: String { "EfficientNet(\(variant.rawValue))" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(avgpool(features(x)).flatten(startDim: 1))
    }
}

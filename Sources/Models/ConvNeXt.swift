// ConvNeXt with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.convnext): a 4×4/4 patchify stem with LayerNorm2d, four stages of CNBlocks
// separated by LayerNorm2d + 2×2/2 downsampling convs, global average pooling, and a LayerNorm2d →
// Flatten → Linear classifier. A CNBlock is a 7×7 depthwise conv, then channels-last LayerNorm
// (eps 1e-6), Linear to 4× the width, GELU and Linear back, scaled per channel by `layer_scale`
// (1e-6 at init), dropped per sample by stochastic depth in training, plus the input. The drop
// probability grows linearly from 0 at the first block to the builder's rate at the last.

import NN
import Tensors
import Traps

/// One stage of torchvision's `CNBlockConfig`: the blocks' width, the width the following
/// downsampling layer leads to (nil for the last stage) and the number of blocks.
public struct CNBlockConfig: Sendable, Equatable {
    public var inputChannels: Int
    public var outChannels: Int?
    public var numLayers: Int

    public init(_ inputChannels: Int, _ outChannels: Int?, _ numLayers: Int) {
        self.inputChannels = inputChannels
        self.outChannels = outChannels
        self.numLayers = numLayers
    }
}

/// torchvision's `CNBlock`: x + stochastic_depth(layer_scale · block(x)), `block` the Sequential
/// depthwise conv → Permute → LayerNorm → Linear → GELU → Linear → Permute, `layer_scale` a
/// [C, 1, 1] parameter.
public final class CNBlock: Module, @unchecked Sendable {
    public let block: Sequential
    public let layerScale: Parameter
    public let stochasticDepth: StochasticDepth

    public init(_ dim: Int, layerScale: Float, stochasticDepthProb: Float) {
        block = Sequential(Conv2d(dim, dim, kernelSize: 7, padding: 3, groups: dim),
                           Permute([0, 2, 3, 1]),
                           LayerNorm([dim], eps: 1e-6),
                           Linear(dim, 4 * dim),
                           GELU(),
                           Linear(4 * dim, dim),
                           Permute([0, 3, 1, 2]))
        self.layerScale = Parameter(.full([dim, 1, 1], layerScale))
        stochasticDepth = StochasticDepth(p: stochasticDepthProb, mode: .row)
        super.init()
        registerModule("block", block)
        registerParameter("layer_scale", self.layerScale)
        registerModule("stochastic_depth", stochasticDepth)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        input + stochasticDepth(layerScale.value * block(input))
    }
}

/// torchvision's `ConvNeXt`.
public final class ConvNeXt: Module, @unchecked Sendable {
    public let blockSetting: [CNBlockConfig]
    public let features: Sequential
    public let avgpool: AdaptiveAvgPool2d
    public let classifier: Sequential

    /// `stochasticDepthProb` is the last block's drop probability (torchvision's builders: 0.1 for
    /// tiny, 0.4 small, 0.5 base and large).
    public init(blockSetting: [CNBlockConfig], stochasticDepthProb: Double = 0, layerScale: Float = 1e-6, numClasses: Int = 1000) {
        trapUnless(!blockSetting.isEmpty, "The block_setting should not be empty")
        self.blockSetting = blockSetting
        let first = blockSetting[0].inputChannels
        var layers: [Module] = [Sequential(Conv2d(3, first, kernelSize: 4, stride: 4), LayerNorm2d(first, eps: 1e-6))]
        let totalBlocks = blockSetting.reduce(0) { $0 + $1.numLayers }
        var blockIndex = 0
        for config in blockSetting {
            var stage: [Module] = []
            for _ in 0..<config.numLayers {
                // As torchvision: p · index / (total − 1.0) in Double (a 1-block net divides by 0).
                let p = stochasticDepthProb * Double(blockIndex) / (Double(totalBlocks) - 1)
                stage.append(CNBlock(config.inputChannels, layerScale: layerScale, stochasticDepthProb: Float(p)))
                blockIndex += 1
            }
            layers.append(Sequential(stage))
            if let out = config.outChannels {
                layers.append(Sequential(LayerNorm2d(config.inputChannels, eps: 1e-6),
                                         Conv2d(config.inputChannels, out, kernelSize: 2, stride: 2)))
            }
        }
        features = Sequential(layers)
        avgpool = AdaptiveAvgPool2d(1)
        let last = blockSetting[blockSetting.count - 1]
        let lastChannels = last.outChannels ?? last.inputChannels
        classifier = Sequential(LayerNorm2d(lastChannels, eps: 1e-6), Flatten(startDim: 1), Linear(lastChannels, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("avgpool", avgpool)
        registerModule("classifier", classifier)
        // torchvision: every conv's and linear's weight trunc_normal(std 0.02) in [−2, 2], bias 0.
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.truncatedNormal(conv.weight.shape, std: 0.02, generator: &g)
                    conv.bias?.value = .zeros([conv.outChannels])
                } else if let linear = m as? Linear {
                    linear.weight.value = Init.truncatedNormal(linear.weight.shape, std: 0.02, generator: &g)
                    linear.bias?.value = .zeros([linear.outFeatures])
                }
            }
        }
    }

    public override var summary: String { "ConvNeXt" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(avgpool(features(x)))
    }
}

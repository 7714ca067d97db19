// DenseNet-BC 121/161/169/201 with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.densenet): a 7×7/2 stem and max pool, four dense blocks whose layers each
// see the concatenation of every earlier output (BN → ReLU → 1×1 conv → BN → ReLU → 3×3 conv
// adding `growthRate` channels), 1×1-conv + average-pool transitions halving the channels
// between blocks, a final BN, ReLU, global pooling and a linear classifier.
//
// torchvision's published DenseNet weights predate PyTorch 0.4: their keys read
// `denselayer1.norm.1.weight` where the modules now say `norm1`, and their batch norms have no
// `num_batches_tracked`. `upgradingLegacyKeys` applies torchvision's rename (and PyTorch's
// BatchNorm default for the missing counter) before a strict load.

import Checkpoints
import NN
import Tensors
import Traps

/// torchvision's `_DenseLayer`: BN → ReLU → 1×1 conv to `bnSize·growthRate` channels → BN →
/// ReLU → 3×3 conv to `growthRate` channels (then dropout when `dropRate` > 0), over the
/// concatenation of the block's input and every earlier layer's output.
public final class DenseLayer: Module, @unchecked Sendable {
    let norm1: BatchNorm2d, conv1: Conv2d, norm2: BatchNorm2d, conv2: Conv2d
    let dropRate: Float

    init(_ input: Int, growthRate: Int, bnSize: Int, dropRate: Float) {
        norm1 = BatchNorm2d(input)
        conv1 = Conv2d(input, bnSize * growthRate, kernelSize: 1, bias: false)
        norm2 = BatchNorm2d(bnSize * growthRate)
        conv2 = Conv2d(bnSize * growthRate, growthRate, kernelSize: 3, padding: 1, bias: false)
        self.dropRate = dropRate
        super.init()
        registerModule("norm1", norm1); registerModule("relu1", ReLU(inplace: true)); registerModule("conv1", conv1)
        registerModule("norm2", norm2); registerModule("relu2", ReLU(inplace: true)); registerModule("conv2", conv2)
    }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, norm2)] }

    /// The new features for the concatenated earlier ones, [N, C, H, W] → [N, growthRate, H, W].
    public override func forward(_ x: Tensor) -> Tensor {
        let bottleneck = conv1.forward(norm1(x).relu(), then: norm2, activation: .relu)
        let out = conv2(bottleneck)
        guard dropRate > 0, isTraining else { return out }
        return TorchGenerator.withDefault { out.dropout(p: dropRate, training: true, generator: &$0) }
    }
}

/// torchvision's `_DenseBlock`: `denselayer1`... `denselayerN`, each fed the channel
/// concatenation of the block input and all earlier layers' outputs; returns that concatenation
/// with the last layer's output.
public final class DenseBlock: Module, @unchecked Sendable {
    let layers: [DenseLayer]

    init(layers count: Int, input: Int, bnSize: Int, growthRate: Int, dropRate: Float) {
        layers = (0..<count).map { DenseLayer(input + $0 * growthRate, growthRate: growthRate, bnSize: bnSize, dropRate: dropRate) }
        super.init()
        for (i, layer) in layers.enumerated() { registerModule("denselayer\(i + 1)", layer) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var features = [x]
        for layer in layers { features.append(layer(features.count == 1 ? x : Tensor.cat(features, dim: 1))) }
        return Tensor.cat(features, dim: 1)
    }
}

/// torchvision's `_Transition`: BN → ReLU → 1×1 conv → 2×2 average pool (keys `norm`, `conv`).
public final class DenseTransition: Module, @unchecked Sendable {
    let norm: BatchNorm2d, conv: Conv2d, pool: AvgPool2d

    init(_ input: Int, _ output: Int) {
        norm = BatchNorm2d(input)
        conv = Conv2d(input, output, kernelSize: 1, bias: false)
        pool = AvgPool2d(kernelSize: 2, stride: 2)
        super.init()
        registerModule("norm", norm); registerModule("relu", ReLU(inplace: true))
        registerModule("conv", conv); registerModule("pool", pool)
    }

    public override func forward(_ x: Tensor) -> Tensor { pool(conv(norm(x).relu())) }
}

/// The `features` of a DenseNet: torchvision's `nn.Sequential(OrderedDict)` with named children
/// (`conv0`, `norm0`, `relu0`, `pool0`, `denseblock1`, `transition1`, ..., `norm5`).
public final class DenseNetFeatures: Module, @unchecked Sendable {
    let conv0: Conv2d, norm0: BatchNorm2d, pool0: MaxPool2d
    let stages: [Module]
    let norm5: BatchNorm2d

    init(conv0: Conv2d, norm0: BatchNorm2d, pool0: MaxPool2d, stages: [(String, Module)], norm5: BatchNorm2d) {
        self.conv0 = conv0; self.norm0 = norm0; self.pool0 = pool0
        self.stages = stages.map(\.1)
        self.norm5 = norm5
        super.init()
        registerModule("conv0", conv0); registerModule("norm0", norm0)
        registerModule("relu0", ReLU(inplace: true)); registerModule("pool0", pool0)
        for (name, stage) in stages { registerModule(name, stage) }
        registerModule("norm5", norm5)
    }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv0, norm0)] }

    public override func forward(_ x: Tensor) -> Tensor {
        var out = pool0(conv0.forward(x, then: norm0, activation: .relu))
        for stage in stages { out = stage(out) }
        return norm5(out)
    }
}

/// torchvision's `DenseNet` (DenseNet-BC).
public final class DenseNet: Module, @unchecked Sendable {
    public let features: DenseNetFeatures
    /// The classifier head (replace it to fine-tune on another number of classes).
    public private(set) var classifier: Linear

    /// A DenseNet with `blockConfig[i]` layers in block i, like torchvision's
    /// `DenseNet(growth_rate, block_config, num_init_features, bn_size, drop_rate, num_classes)`.
    public init(growthRate: Int = 32, blockConfig: [Int] = [6, 12, 24, 16], numInitFeatures: Int = 64, bnSize: Int = 4,
                dropRate: Float = 0, numClasses: Int = 1000) {
        trapUnless(blockConfig.count == 4, "DenseNet needs 4 dense blocks, got \(blockConfig.count)")
        var channels = numInitFeatures
        var stages: [(String, Module)] = []
        for (i, count) in blockConfig.enumerated() {
            stages.append(("denseblock\(i + 1)",
                           DenseBlock(layers: count, input: channels, bnSize: bnSize, growthRate: growthRate, dropRate: dropRate)))
            channels += count * growthRate
            if i != blockConfig.count - 1 {
                stages.append(("transition\(i + 1)", DenseTransition(channels, channels / 2)))
                channels /= 2
            }
        }
        features = DenseNetFeatures(conv0: Conv2d(3, numInitFeatures, kernelSize: 7, stride: 2, padding: 3, bias: false),
                                    norm0: BatchNorm2d(numInitFeatures), pool0: MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
                                    stages: stages, norm5: BatchNorm2d(channels))
        classifier = Linear(channels, numClasses)
        super.init()
        registerModule("features", features)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal (fan_in, leaky_relu's gain with a = 0); BN 1/0; the
        // linear keeps its default weight and gets bias 0.
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.kaimingNormal(conv.weight.shape, generator: &g)
                } else if let linear = m as? Linear {
                    linear.bias?.value = .zeros([linear.outFeatures])
                }
            }
        }
    }

    /// Replaces the classifier with a fresh `Linear` for `numClasses` outputs (fine-tuning).
    public func replaceClassifier(numClasses: Int) {
        classifier = registerModule("classifier", Linear(classifier.inFeatures, numClasses))
    }

    public override var summary: String { "DenseNet" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(features(x).relu().adaptiveAvgPool2d((1, 1)).flatten(startDim: 1))
    }
}

extension DenseNet: LegacyCheckpointKeys {
    /// torchvision's `_load_state_dict` rename: `….denselayerN.norm.1.weight` →
    /// `….denselayerN.norm1.weight` (likewise `relu`/`conv`, `1`/`2`, and `bias`, `running_mean`,
    /// `running_var`); then, as PyTorch's BatchNorm does for a pre-0.4 state dict, a zero
    /// `num_batches_tracked` for every batch norm of this model whose statistics are given without one.
    public func upgradingLegacyKeys(_ stateDict: StateDict) -> StateDict {
        var out = StateDict()
        out.metadata = stateDict.metadata
        out.notes = stateDict.notes
        out.format = stateDict.format
        for entry in stateDict.entries {
            out.set(Self.upgradedKey(entry.name), entry.tensor, dtype: entry.dtype)
        }
        for (path, m) in namedModules() where m is BatchNorm2d {
            let prefix = path.isEmpty ? "" : path + "."
            if out[prefix + "running_mean"] != nil && out[prefix + "num_batches_tracked"] == nil {
                out.set(prefix + "num_batches_tracked", Tensor(scalar: 0), dtype: .int64)
            }
        }
        return out
    }

    /// `key` with torchvision's legacy dense-layer rename applied (itself when it does not match).
    static func upgradedKey(_ key: String) -> String {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        let n = parts.count
        guard n >= 4, ["weight", "bias", "running_mean", "running_var"].contains(parts[n - 1]),
              parts[n - 2] == "1" || parts[n - 2] == "2", ["norm", "relu", "conv"].contains(parts[n - 3]),
              parts[n - 4].hasPrefix("denselayer"), parts[n - 4].count > "denselayer".count,
              parts[n - 4].dropFirst("denselayer".count).allSatisfy(\.isASCIIDigit)
        else { return key }
        return (parts[..<(n - 3)] + [parts[n - 3] + parts[n - 2], parts[n - 1]]).joined(separator: ".")
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

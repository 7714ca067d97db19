// ResNet, ResNeXt and Wide ResNet with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.resnet, "V1.5": the stride of a downsampling Bottleneck sits on its 3×3 conv).

import NN
import Tensors
import Traps

/// torchvision's `BasicBlock`: two 3×3 convs with a residual connection.
public final class BasicBlock: Module, @unchecked Sendable {
    public static let expansion = 1
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let downsample: Sequential?

    init(inplanes: Int, planes: Int, stride: Int, downsample: Sequential?, groups: Int, baseWidth: Int) {
        trapUnless(groups == 1 && baseWidth == 64, "BasicBlock only supports groups=1 and base_width=64")
        conv1 = Conv2d(inplanes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        self.downsample = downsample
        super.init()
        registerModule("conv1", conv1); registerModule("bn1", bn1)
        registerModule("conv2", conv2); registerModule("bn2", bn2)
        if let downsample { registerModule("downsample", downsample) }
    }

    /// The BN whose weight `zero_init_residual` zeroes.
    var lastNorm: BatchNorm2d { bn2 }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1), (conv2, bn2)] }

    public override func forward(_ x: Tensor) -> Tensor {
        // conv → BN → ReLU, conv → BN → + identity → ReLU: two fused kernel passes once BN is folded.
        let identity = downsample?(x) ?? x
        let out = conv1.forward(x, then: bn1, activation: .relu)
        return conv2.forward(out, then: bn2, residual: identity, activation: .relu)
    }
}

/// torchvision's `Bottleneck`: 1×1 → 3×3 (stride, groups) → 1×1 with expansion 4.
public final class Bottleneck: Module, @unchecked Sendable {
    public static let expansion = 4
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let downsample: Sequential?

    init(inplanes: Int, planes: Int, stride: Int, downsample: Sequential?, groups: Int, baseWidth: Int) {
        let width = planes * baseWidth / 64 * groups
        conv1 = Conv2d(inplanes, width, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride, padding: 1, groups: groups, bias: false)
        bn2 = BatchNorm2d(width)
        conv3 = Conv2d(width, planes * Self.expansion, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(planes * Self.expansion)
        self.downsample = downsample
        super.init()
        registerModule("conv1", conv1); registerModule("bn1", bn1)
        registerModule("conv2", conv2); registerModule("bn2", bn2)
        registerModule("conv3", conv3); registerModule("bn3", bn3)
        if let downsample { registerModule("downsample", downsample) }
    }

    var lastNorm: BatchNorm2d { bn3 }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }

    public override func forward(_ x: Tensor) -> Tensor {
        let identity = downsample?(x) ?? x
        var out = conv1.forward(x, then: bn1, activation: .relu)
        out = conv2.forward(out, then: bn2, activation: .relu)
        return conv3.forward(out, then: bn3, residual: identity, activation: .relu)
    }
}

/// torchvision's `ResNet`.
public final class ResNet: Module, @unchecked Sendable {
    /// Which residual block the network stacks.
    public enum Block: Sendable { case basic, bottleneck }

    let conv1: Conv2d, bn1: BatchNorm2d, maxpool: MaxPool2d
    let layers: [Sequential]
    let avgpool: AdaptiveAvgPool2d
    /// The classifier head (replace it to fine-tune on another number of classes).
    public private(set) var fc: Linear

    /// A ResNet with `blocks[i]` blocks in stage i, like torchvision's `ResNet(block, layers, ...)`.
    public init(block: Block, layers blocks: [Int], numClasses: Int = 1000, zeroInitResidual: Bool = false,
                groups: Int = 1, widthPerGroup: Int = 64) {
        trapUnless(blocks.count == 4, "ResNet needs 4 stages")
        let expansion = block == .basic ? BasicBlock.expansion : Bottleneck.expansion
        var inplanes = 64
        conv1 = Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(64)
        maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var stages: [Sequential] = []
        for (i, (planes, count)) in zip([64, 128, 256, 512], blocks).enumerated() {
            let stride = i == 0 ? 1 : 2
            var downsample: Sequential? = nil
            if stride != 1 || inplanes != planes * expansion {
                downsample = Sequential(Conv2d(inplanes, planes * expansion, kernelSize: 1, stride: stride, bias: false),
                                        BatchNorm2d(planes * expansion))
            }
            var modules: [Module] = []
            for j in 0..<count {
                let s = j == 0 ? stride : 1
                let ds = j == 0 ? downsample : nil
                switch block {
                case .basic:
                    modules.append(BasicBlock(inplanes: inplanes, planes: planes, stride: s, downsample: ds, groups: groups, baseWidth: widthPerGroup))
                case .bottleneck:
                    modules.append(Bottleneck(inplanes: inplanes, planes: planes, stride: s, downsample: ds, groups: groups, baseWidth: widthPerGroup))
                }
                inplanes = planes * expansion
            }
            stages.append(Sequential(modules))
        }
        layers = stages
        avgpool = AdaptiveAvgPool2d(1)
        fc = Linear(512 * expansion, numClasses)
        super.init()
        registerModule("conv1", conv1)
        registerModule("bn1", bn1)
        registerModule("relu", ReLU())
        registerModule("maxpool", maxpool)
        for (i, stage) in layers.enumerated() { registerModule("layer\(i + 1)", stage) }
        registerModule("avgpool", avgpool)
        registerModule("fc", fc)
        initializeLikeTorchvision(zeroInitResidual: zeroInitResidual)
    }

    /// Conv weights kaiming_normal(fan_out, relu); BN weight 1, bias 0; with `zeroInitResidual`
    /// the last BN of every block starts at 0 so each block starts as the identity.
    private func initializeLikeTorchvision(zeroInitResidual: Bool) {
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.kaimingNormal(conv.weight.shape, fanOut: true, nonlinearity: "relu", generator: &g)
                }
            }
        }
        guard zeroInitResidual else { return }
        for (_, m) in namedModules() {
            if let b = m as? BasicBlock { b.lastNorm.weight?.value = .zeros([b.lastNorm.numFeatures]) }
            if let b = m as? Bottleneck { b.lastNorm.weight?.value = .zeros([b.lastNorm.numFeatures]) }
        }
    }

    /// Replaces the classifier with a fresh `Linear` for `numClasses` outputs (fine-tuning).
    public func replaceClassifier(numClasses: Int) {
        fc = registerModule("fc", Linear(fc.inFeatures, numClasses))
    }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1)] }

    public override var summary: String { "ResNet" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        var out = maxpool(conv1.forward(x, then: bn1, activation: .relu))
        for stage in layers { out = stage(out) }
        return fc(avgpool(out).flatten(startDim: 1))
    }
}

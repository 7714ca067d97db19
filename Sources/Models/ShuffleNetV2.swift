// ShuffleNet V2 ×0.5/×1.0/×1.5/×2.0 with torchvision's exact structure, defaults and state-dict
// keys (torchvision.models.shufflenetv2): a 3×3/2 stem and max pool, three stages of shuffle units
// (the first of each downsampling), a 1×1 head conv, global average pooling and a linear classifier.
// A unit with stride 1 splits its channels in two, transforms one half (1×1 → 3×3 depthwise → 1×1)
// and concatenates it with the untouched half; a stride-2 unit transforms the whole input in two
// branches; either way the result goes through a 2-group channel shuffle. PyTorch's default
// initialisation (no custom init in torchvision).

import NN
import Tensors
import Traps

/// torchvision's ShuffleNetV2 `InvertedResidual` (the shuffle unit), keys `branch1.N` (stride > 1
/// only) and `branch2.N`.
public final class ShuffleInvertedResidual: Module, @unchecked Sendable {
    public let stride: Int
    /// Depthwise 3×3 (the stride) → BN → 1×1 → BN → ReLU, for stride > 1; empty otherwise.
    let branch1: Sequential
    /// 1×1 → BN → ReLU → depthwise 3×3 (the stride) → BN → 1×1 → BN → ReLU.
    let branch2: Sequential

    init(_ input: Int, _ output: Int, stride: Int) {
        trapUnless((1...3).contains(stride), "illegal stride value \(stride)")
        let branchFeatures = output / 2
        trapUnless(stride != 1 || input == branchFeatures * 2,
                   "Invalid combination of stride \(stride), inp \(input) and oup \(output) values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        self.stride = stride
        func depthwise(_ c: Int) -> Conv2d { Conv2d(c, c, kernelSize: 3, stride: stride, padding: 1, groups: c, bias: false) }
        branch1 = stride > 1
            ? Sequential(depthwise(input), BatchNorm2d(input), Conv2d(input, branchFeatures, kernelSize: 1, bias: false),
                         BatchNorm2d(branchFeatures), ReLU(inplace: true))
            : Sequential()
        branch2 = Sequential(
            Conv2d(stride > 1 ? input : branchFeatures, branchFeatures, kernelSize: 1, bias: false), BatchNorm2d(branchFeatures),
            ReLU(inplace: true), depthwise(branchFeatures), BatchNorm2d(branchFeatures),
            Conv2d(branchFeatures, branchFeatures, kernelSize: 1, bias: false), BatchNorm2d(branchFeatures), ReLU(inplace: true))
        super.init()
        registerModule("branch1", branch1)
        registerModule("branch2", branch2)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let out: Tensor
        if stride == 1 {
            let halves = x.chunk(2, dim: 1)
            out = Tensor.cat([halves[0], branch2(halves[1])], dim: 1)
        } else {
            out = Tensor.cat([branch1(x), branch2(x)], dim: 1)
        }
        return out.channelShuffle(groups: 2)
    }
}

/// torchvision's `ShuffleNetV2`.
public final class ShuffleNetV2: Module, @unchecked Sendable {
    /// torchvision's stage output channels per width (stem, stage2–4, conv5).
    public static let stageOutChannels: [String: [Int]] = [
        "0.5": [24, 48, 96, 192, 1024], "1.0": [24, 116, 232, 464, 1024],
        "1.5": [24, 176, 352, 704, 1024], "2.0": [24, 244, 488, 976, 2048],
    ]

    let conv1: Sequential, maxpool: MaxPool2d
    let stages: [Sequential]
    let conv5: Sequential
    /// The classifier head.
    public private(set) var fc: Linear

    /// `stagesRepeats` units in stages 2–4 with `stagesOutChannels` (stem, three stages, conv5),
    /// like torchvision's `ShuffleNetV2(stages_repeats, stages_out_channels, num_classes)`.
    public init(stagesRepeats: [Int] = [4, 8, 4], stagesOutChannels: [Int], numClasses: Int = 1000) {
        trapUnless(stagesRepeats.count == 3, "expected stages_repeats as list of 3 positive ints")
        trapUnless(stagesOutChannels.count == 5, "expected stages_out_channels as list of 5 positive ints")
        var input = stagesOutChannels[0]
        conv1 = Sequential(Conv2d(3, input, kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(input), ReLU(inplace: true))
        maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var stages: [Sequential] = []
        for (repeats, output) in zip(stagesRepeats, stagesOutChannels[1...3]) {
            var units = [ShuffleInvertedResidual(input, output, stride: 2)]
            for _ in 1..<repeats { units.append(ShuffleInvertedResidual(output, output, stride: 1)) }
            stages.append(Sequential(units))
            input = output
        }
        self.stages = stages
        let last = stagesOutChannels[4]
        conv5 = Sequential(Conv2d(input, last, kernelSize: 1, bias: false), BatchNorm2d(last), ReLU(inplace: true))
        fc = Linear(last, numClasses)
        super.init()
        registerModule("conv1", conv1)
        registerModule("maxpool", maxpool)
        for (i, stage) in stages.enumerated() { registerModule("stage\(i + 2)", stage) }
        registerModule("conv5", conv5)
        registerModule("fc", fc)
    }

    /// torchvision's `shufflenet_v2_x<width>` (width "0.5", "1.0", "1.5" or "2.0").
    public convenience init(width: String, numClasses: Int = 1000) {
        guard let channels = Self.stageOutChannels[width] else { trap("ShuffleNetV2 width must be 0.5, 1.0, 1.5 or 2.0, got \(width)") }
        self.init(stagesOutChannels: channels, numClasses: numClasses)
    }

    /// Replaces the classifier with a fresh `Linear` for `numClasses` outputs (fine-tuning).
    public func replaceClassifier(numClasses: Int) {
        fc = registerModule("fc", Linear(fc.inFeatures, numClasses))
    }

    public override var summary: String { "ShuffleNetV2" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        var out = maxpool(conv1(x))
        for stage in stages { out = stage(out) }
        return fc(conv5(out).mean(dims: [2, 3]))
    }
}

// MNASNet (the B1 variant) with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.mnasnet, version 2): one flat Sequential `layers` — a 3×3/2 stem, a
// depthwise-separable block, six stacks of inverted residuals, a 1×1 head to 1280 channels —
// then global average pooling and a dropout + linear classifier. Widths are scaled by `alpha`
// with `_round_to_multiple_of`; BatchNorm momentum is 1 − 0.9997; ReLU throughout.

import NN
import Tensors

/// torchvision's `_round_to_multiple_of`: `value` rounded to the nearest multiple of `divisor`
/// (at least `divisor`), rounded up instead when the result is below `roundUpBias`·`value`.
func roundToMultiple(_ value: Double, _ divisor: Int, roundUpBias: Double = 0.9) -> Int {
    let rounded = Swift.max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    return Double(rounded) >= roundUpBias * value ? rounded : rounded + divisor
}

/// torchvision's MNASNet `_InvertedResidual`: 1×1 expansion, k×k depthwise conv (the stride),
/// 1×1 projection, each followed by BatchNorm (ReLU after the first two), plus the input when the
/// stride is 1 and the channels agree. Keys `layers.0.weight` ... `layers.7.running_var`.
public final class MNASNetInvertedResidual: Module, @unchecked Sendable {
    public let layers: Sequential
    public let usesResidual: Bool

    init(_ input: Int, _ output: Int, kernelSize: Int, stride: Int, expansion: Int, bnMomentum: Float) {
        let mid = input * expansion
        layers = Sequential(Conv2d(input, mid, kernelSize: 1, bias: false), BatchNorm2d(mid, momentum: bnMomentum), ReLU(),
                            Conv2d(mid, mid, kernelSize: kernelSize, stride: stride, padding: kernelSize / 2, groups: mid, bias: false),
                            BatchNorm2d(mid, momentum: bnMomentum), ReLU(),
                            Conv2d(mid, output, kernelSize: 1, bias: false), BatchNorm2d(output, momentum: bnMomentum))
        usesResidual = input == output && stride == 1
        super.init()
        registerModule("layers", layers)
    }

    public override func forward(_ x: Tensor) -> Tensor { usesResidual ? layers(x) + x : layers(x) }
}

/// torchvision's `MNASNet(alpha)`: `mnasnet0_5`, `mnasnet0_75`, `mnasnet1_0`, `mnasnet1_3`.
public final class MNASNet: Module, @unchecked Sendable {
    public let alpha: Double
    public let layers: Sequential
    public let classifier: Sequential

    static let bnMomentum: Float = Float(1 - 0.9997)
    /// Stem, separable block and stack output widths before scaling.
    static let depths = [32, 16, 24, 40, 80, 96, 192, 320]
    /// (kernel, first stride, expansion, repeats) of the six stacks.
    static let stacks = [(3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3), (3, 1, 6, 2), (5, 2, 6, 4), (3, 1, 6, 1)]

    public init(alpha: Double, numClasses: Int = 1000, dropout: Float = 0.2) {
        precondition(alpha > 0, "MNASNet: alpha should be greater than 0, got \(alpha)")
        self.alpha = alpha
        let d = Self.depths.map { roundToMultiple(Double($0) * alpha, 8) }
        let m = Self.bnMomentum
        var list: [Module] = [Conv2d(3, d[0], kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(d[0], momentum: m), ReLU(),
                              Conv2d(d[0], d[0], kernelSize: 3, padding: 1, groups: d[0], bias: false),
                              BatchNorm2d(d[0], momentum: m), ReLU(),
                              Conv2d(d[0], d[1], kernelSize: 1, bias: false), BatchNorm2d(d[1], momentum: m)]
        for (i, (kernel, stride, expansion, repeats)) in Self.stacks.enumerated() {
            let input = d[i + 1], output = d[i + 2]
            list.append(Sequential((0..<repeats).map { r in
                MNASNetInvertedResidual(r == 0 ? input : output, output, kernelSize: kernel, stride: r == 0 ? stride : 1,
                                        expansion: expansion, bnMomentum: m)
            }))
        }
        list += [Conv2d(d[7], 1280, kernelSize: 1, bias: false), BatchNorm2d(1280, momentum: m), ReLU()]
        layers = Sequential(list)
        classifier = Sequential(Dropout(p: dropout), Linear(1280, numClasses))
        super.init()
        registerModule("layers", layers)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal(fan_out, relu), bias 0; BN 1/0; linear
        // kaiming_uniform(fan_out, sigmoid), bias 0.
        initializeConvsAndLinearsLikeTorchvision(convNonlinearity: "relu", linear: .kaimingUniformFanOut(nonlinearity: "sigmoid"))
    }

    public override var summary: String { "MNASNet(alpha=\(alpha))" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(layers(x).adaptiveAvgPool2d((1, 1)).flatten(startDim: 1))
    }
}

import Tensors
import Traps

/// torchvision's `ops.SqueezeExcitation`: x · σ(fc2(δ(fc1(avgpool(x))))) with 1×1 convs `fc1`
/// (input → squeeze channels) and `fc2` (back), δ the activation (ReLU by default; SiLU in
/// EfficientNet) and σ the scale activation (Sigmoid; Hardsigmoid in MobileNetV3), under
/// torchvision's keys (`fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`).
public final class SqueezeExcitation: Module, @unchecked Sendable {
    public let avgpool: AdaptiveAvgPool2d
    public let fc1: Conv2d, fc2: Conv2d
    public let activation: Module, scaleActivation: Module

    public init(_ inputChannels: Int, _ squeezeChannels: Int, activation: Module = ReLU(), scaleActivation: Module = Sigmoid()) {
        avgpool = AdaptiveAvgPool2d(1)
        fc1 = Conv2d(inputChannels, squeezeChannels, kernelSize: 1)
        fc2 = Conv2d(squeezeChannels, inputChannels, kernelSize: 1)
        self.activation = activation
        self.scaleActivation = scaleActivation
        super.init()
        registerModule("avgpool", avgpool)
        registerModule("fc1", fc1)
        registerModule("fc2", fc2)
        registerModule("activation", activation)
        registerModule("scale_activation", scaleActivation)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let scale = scaleActivation(fc2(activation(fc1(avgpool(input)))))
        return scale * input
    }
}

/// torchvision's `ops.StochasticDepth`: drops whole samples (`.row`) or the whole batch with
/// probability `p` in training mode, scaling the survivors by 1/(1 − p); identity in evaluation
/// mode. Draws from the process-wide generator.
public final class StochasticDepth: Module, @unchecked Sendable {
    public let p: Float
    public let mode: StochasticDepthMode

    public init(p: Float, mode: StochasticDepthMode = .row) {
        trapUnless(p >= 0 && p <= 1, "StochasticDepth: drop probability has to be between 0 and 1, but got \(p)")
        self.p = p
        self.mode = mode
        super.init()
    }

    public override var summary: String { "StochasticDepth(p=\(p), mode=\(mode.rawValue))" }

    public override func forward(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        return TorchGenerator.withDefault { input.stochasticDepth(p: p, mode: mode, training: true, generator: &$0) }
    }
}

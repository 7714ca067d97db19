import Tensors

/// Adam with decoupled weight decay (PyTorch's `torch.optim.AdamW`): before each update the weights
/// are scaled by `1 − lr·weightDecay`, and the gradient is left alone.
public final class AdamW: Adam, @unchecked Sendable {
    /// AdamW with PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01).
    public init(_ parameters: [Parameter], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false) {
        super.init(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                   maximize: maximize, decoupledWeightDecay: true)
    }
}

import Foundation

/// Multiplies the LR by `gamma` every `stepSize` steps (PyTorch's `StepLR`).
public final class StepLR: LRScheduler, @unchecked Sendable {
    public let stepSize: Int
    public let gamma: Double

    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) {
        requireHyperparameter(stepSize > 0, "StepLR: stepSize must be positive, got \(stepSize)")
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer: optimizer)
    }

    public override func computeLR() -> Double {
        if lastEpoch == 0 || lastEpoch % stepSize != 0 { return optimizer.lr }
        return optimizer.lr * gamma
    }

    /// The LR at `epoch` in closed form: `baseLR · gamma^⌊epoch / stepSize⌋`.
    public override func closedFormLR(epoch: Int) -> Double? { baseLR * Foundation.pow(gamma, Double(epoch / stepSize)) }
}

import Foundation

/// Multiplies the LR by `gamma` at each milestone step; a milestone listed k times multiplies by
/// `gamma^k` (PyTorch's `MultiStepLR`).
public final class MultiStepLR: LRScheduler, @unchecked Sendable {
    /// How many times each milestone was listed.
    public let milestones: [Int: Int]
    public let gamma: Double

    public init(_ optimizer: any Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        self.gamma = gamma
        super.init(optimizer: optimizer)
    }

    public override func computeLR() -> Double {
        guard let k = milestones[lastEpoch] else { return optimizer.lr }
        return optimizer.lr * Foundation.pow(gamma, Double(k))
    }

    /// The LR at `epoch` in closed form: `baseLR · gamma^(milestones passed, with multiplicity)`.
    public override func closedFormLR(epoch: Int) -> Double? {
        let passed = milestones.reduce(0) { $0 + ($1.key <= epoch ? $1.value : 0) }
        return baseLR * Foundation.pow(gamma, Double(passed))
    }
}

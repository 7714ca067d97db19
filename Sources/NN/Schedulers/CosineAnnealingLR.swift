// Cosine annealing from the base LR to etaMin over tMax steps (PyTorch's CosineAnnealingLR, SGDR
// without restarts). PyTorch steps it recursively from the current LR, so the schedule composes
// with other changes to the LR; past tMax the LR rises again along the cosine (period 2·tMax).
// The recursive values equal the closed form ηmin + (η₀ − ηmin)(1 + cos(π·t / tMax)) / 2 up to
// rounding; `closedFormLR(epoch:)` gives the latter.

import Foundation

/// Cosine annealing of the LR from its base value to `etaMin` over `tMax` steps.
public final class CosineAnnealingLR: LRScheduler, @unchecked Sendable {
    public let tMax: Int
    public let etaMin: Double

    public init(_ optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) {
        requireHyperparameter(tMax > 0, "CosineAnnealingLR: tMax must be positive, got \(tMax)")
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer: optimizer)
    }

    public override func computeLR() -> Double {
        let lr = optimizer.lr, t = Double(lastEpoch), period = Double(tMax)
        if isInitialStep { return lr }
        if (lastEpoch - 1 - tMax) % (2 * tMax) == 0 {
            return lr + (baseLR - etaMin) * (1 - cos(Double.pi / period)) / 2
        }
        return (1 + cos(Double.pi * t / period)) / (1 + cos(Double.pi * (t - 1) / period)) * (lr - etaMin) + etaMin
    }

    /// The LR at `epoch` in closed form.
    public override func closedFormLR(epoch: Int) -> Double? {
        etaMin + (baseLR - etaMin) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
    }
}

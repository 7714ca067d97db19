/// Scales the LR linearly from `startFactor`·base to `endFactor`·base over `totalIters` steps, then
/// holds it (PyTorch's `LinearLR`). With `startFactor` < 1 and `endFactor` 1 it is the usual linear
/// warm-up.
public final class LinearLR: LRScheduler, @unchecked Sendable {
    public let startFactor: Double
    public let endFactor: Double
    public let totalIters: Int

    public init(_ optimizer: any Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) {
        requireHyperparameter(startFactor > 0 && startFactor <= 1,
                              "LinearLR: startFactor must be in (0, 1], got \(startFactor)")
        requireHyperparameter(endFactor >= 0 && endFactor <= 1, "LinearLR: endFactor must be in [0, 1], got \(endFactor)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer: optimizer)
    }

    public override func computeLR() -> Double {
        let lr = optimizer.lr
        if lastEpoch == 0 { return lr * startFactor }
        if isInitialStep || lastEpoch > totalIters { return lr }
        let delta = endFactor - startFactor
        return lr * (1.0 + delta / (Double(totalIters) * startFactor + Double(lastEpoch - 1) * delta))
    }

    /// The LR at `epoch` in closed form.
    public override func closedFormLR(epoch: Int) -> Double? {
        baseLR * (startFactor + (endFactor - startFactor) * Double(min(totalIters, epoch)) / Double(totalIters))
    }
}

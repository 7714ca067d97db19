// The 1cycle policy (PyTorch's OneCycleLR, two phases): over the first pctStart of totalSteps the
// LR rises from maxLR/divFactor to maxLR while the momentum falls from maxMomentum to baseMomentum;
// over the rest the LR falls to initialLR/finalDivFactor and the momentum rises back. Each phase
// anneals by cosine or linearly. The schedule is closed form in the step number, as in PyTorch.
// Step it once per batch; stepping past totalSteps is an error.

import Foundation
import Traps

/// The 1cycle learning-rate (and momentum) policy, stepped once per batch.
public final class OneCycleLR: LRScheduler, @unchecked Sendable {
    /// How each phase moves between its end points.
    public enum Annealing: String, Sendable { case cos, linear }

    public let maxLR: Double
    public let totalSteps: Int
    public let pctStart: Double
    public let annealing: Annealing
    public let initialLR: Double
    public let minLR: Double
    /// The momentum range cycled inversely to the LR, or nil when momentum is not cycled.
    public let momentumRange: (base: Double, max: Double)?

    /// - Parameters:
    ///   - cycleMomentum: cycle SGD's momentum or Adam's β₁ between `baseMomentum` and `maxMomentum`
    ///     (the optimizer must conform to `MomentumScheduled`).
    public init(_ optimizer: any Optimizer, maxLR: Double, totalSteps: Int, pctStart: Double = 0.3,
                annealing: Annealing = .cos, cycleMomentum: Bool = true, baseMomentum: Double = 0.85,
                maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4) {
        requireHyperparameter(totalSteps > 0, "OneCycleLR: expected positive totalSteps, got \(totalSteps)")
        requireHyperparameter(pctStart >= 0 && pctStart <= 1, "OneCycleLR: expected pctStart in [0, 1], got \(pctStart)")
        self.maxLR = maxLR
        self.totalSteps = totalSteps
        self.pctStart = pctStart
        self.annealing = annealing
        initialLR = maxLR / divFactor
        minLR = initialLR / finalDivFactor
        if cycleMomentum {
            guard let m = optimizer as? any MomentumScheduled else {
                trap("OneCycleLR: optimizer \(type(of: optimizer)) has no momentum or beta1 to cycle; pass cycleMomentum: false")
            }
            m.scheduledMomentum = maxMomentum
            momentumRange = (baseMomentum, maxMomentum)
        } else {
            momentumRange = nil
        }
        super.init(optimizer: optimizer, initialLR: maxLR / divFactor)
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealing {
        case .cos: return end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    public override func computeLR() -> Double {
        let stepNum = Double(lastEpoch)
        if lastEpoch > totalSteps {
            trap("OneCycleLR: tried to step \(lastEpoch) times; the specified number of total steps is \(totalSteps)")
        }
        let warmEnd = pctStart * Double(totalSteps) - 1
        let lastEnd = Double(totalSteps - 1)
        let lr: Double, momentum: Double?
        if stepNum <= warmEnd {
            let pct = stepNum / warmEnd
            lr = anneal(initialLR, maxLR, pct)
            momentum = momentumRange.map { anneal($0.max, $0.base, pct) }
        } else {
            let pct = (stepNum - warmEnd) / (lastEnd - warmEnd)
            lr = anneal(maxLR, minLR, pct)
            momentum = momentumRange.map { anneal($0.base, $0.max, pct) }
        }
        if let momentum, let m = optimizer as? any MomentumScheduled { m.scheduledMomentum = momentum }
        return lr
    }
}

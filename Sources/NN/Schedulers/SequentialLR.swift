// Runs several schedulers one after another (PyTorch's SequentialLR), e.g. a LinearLR warm-up then
// CosineAnnealingLR. Reproduces PyTorch's bookkeeping exactly: at construction the optimizer's LR
// is reset to its initial LR, every child's epoch is moved back by one (undoing the step each took
// when it was built) and only the first child takes its initial step again; at each milestone the
// next child restarts at epoch 0 in closed form (so a cosine after a warm-up starts from the base
// LR); between milestones the active child steps normally.

import Traps

/// Switches between `schedulers` at the `milestones` steps (one fewer milestone than schedulers).
public final class SequentialLR: LRScheduler, @unchecked Sendable {
    public let schedulers: [LRScheduler]
    public let milestones: [Int]

    /// Build every child on `optimizer` first, then pass them here.
    public init(_ optimizer: any Optimizer, schedulers: [LRScheduler], milestones: [Int]) {
        requireHyperparameter(!schedulers.isEmpty, "SequentialLR expects at least one scheduler")
        requireHyperparameter(milestones.count == schedulers.count - 1,
                              "SequentialLR expects one milestone fewer than schedulers, got \(schedulers.count) schedulers and \(milestones.count) milestones")
        for s in schedulers {
            requireHyperparameter(s.optimizer === optimizer, "SequentialLR expects all schedulers to belong to the same optimizer")
        }
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(withoutInitialStep: optimizer)
        lastEpoch = 0
        if let initial = optimizer.initialLR { optimizer.lr = initial }
        for s in schedulers { s.undoStep() }
        let first = schedulers[active(at: 0)]
        first.initialStep()
        lastLR = first.lastLR
    }

    /// Index of the scheduler running at `epoch` (Python's `bisect_right(milestones, epoch)`).
    private func active(at epoch: Int) -> Int { milestones.filter { $0 <= epoch }.count }

    public override func step() {
        lastEpoch += 1
        let i = active(at: lastEpoch)
        let s = schedulers[i]
        if i > 0 && milestones[i - 1] == lastEpoch { s.jump(toEpoch: 0) } else { s.step() }
        lastLR = s.lastLR
    }

    public override var state: SchedulerState {
        var own = super.state
        own.children = schedulers.map(\.state)
        return own
    }

    public override func load(_ state: SchedulerState) {
        guard state.children.count == schedulers.count else {
            trap("SequentialLR.load: state has \(state.children.count) child schedulers, expected \(schedulers.count)")
        }
        for (s, c) in zip(schedulers, state.children) { s.load(c) }
        super.load(state)
    }
}

extension LRScheduler {
    /// PyTorch's `recursive_undo`: moves this scheduler (and any children) back one epoch.
    func undoStep() {
        if let seq = self as? SequentialLR { for s in seq.schedulers { s.undoStep() } } else { lastEpoch -= 1 }
    }
}

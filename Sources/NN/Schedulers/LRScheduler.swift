// The LR-scheduler base class, following torch.optim.lr_scheduler.LRScheduler step by step.
//
// Construction records the optimizer's learning rate as its `initialLR` (unless a scheduler already
// did: PyTorch's group["initial_lr"]), takes that as the base LR and performs the initial step
// (epoch 0), which may already change the LR (LinearLR's start factor, OneCycleLR's initial LR).
// Each `step()` advances `lastEpoch` and sets the optimizer's LR from `computeLR()`, which, as
// PyTorch's `get_lr()`, is written in the recursive ("chainable") form from the optimizer's current
// LR where PyTorch does so; all arithmetic is in Double so the sequences equal PyTorch's. Call
// `optimizer.step()` first, then `scheduler.step()`, once per epoch (or per iteration for
// OneCycleLR and warm-up).

import Tensors
import Traps

/// What a scheduler needs to resume: PyTorch's `scheduler.state_dict()` for one parameter group.
public struct SchedulerState: Codable, Sendable, Equatable {
    /// The index of the last step taken (0 right after construction).
    public var lastEpoch: Int
    /// Number of `step()` calls including the initial one.
    public var stepCount: Int
    /// The LR the schedule starts from (PyTorch's `base_lrs[0]`).
    public var baseLR: Double
    /// The LR set by the last step (PyTorch's `get_last_lr()[0]`).
    public var lastLR: Double
    /// The states of the schedulers a `SequentialLR` runs (empty otherwise).
    public var children: [SchedulerState]

    public init(lastEpoch: Int, stepCount: Int, baseLR: Double, lastLR: Double, children: [SchedulerState] = []) {
        self.lastEpoch = lastEpoch; self.stepCount = stepCount; self.baseLR = baseLR; self.lastLR = lastLR
        self.children = children
    }
}

/// A learning-rate schedule driving an optimizer's `lr` (PyTorch's `LRScheduler`). Subclasses
/// override `computeLR()`.
open class LRScheduler: @unchecked Sendable {
    /// The optimizer whose learning rate this scheduler sets.
    public let optimizer: any Optimizer
    /// The LR the schedule starts from.
    public private(set) var baseLR: Double
    /// The index of the last step (0 after construction, then 1, 2, ...).
    public internal(set) var lastEpoch: Int = -1
    /// Number of `step()` calls, including the one made at construction.
    public private(set) var stepCount = 0
    /// The LR set by the last step.
    public internal(set) var lastLR: Double
    /// True during the step made at construction (PyTorch's `_is_initial`).
    public private(set) var isInitialStep = false

    /// Attaches to `optimizer`, takes its `initialLR` (set to its current LR, or to `initialLR` if
    /// given, when not yet set) as the base LR and takes the initial step. Subclasses set their own
    /// properties before calling this.
    public init(optimizer: any Optimizer, initialLR: Double? = nil) {
        self.optimizer = optimizer
        if let initialLR { optimizer.initialLR = initialLR } else if optimizer.initialLR == nil { optimizer.initialLR = optimizer.lr }
        baseLR = optimizer.initialLR ?? optimizer.lr
        lastLR = optimizer.lr
        initialStep()
    }

    /// For `SequentialLR`, which takes no step of its own at construction.
    init(withoutInitialStep optimizer: any Optimizer) {
        self.optimizer = optimizer
        baseLR = optimizer.initialLR ?? optimizer.lr
        lastLR = optimizer.lr
    }

    /// PyTorch's `_initial_step()`: resets the step count and steps to epoch `lastEpoch + 1`.
    func initialStep() {
        stepCount = 0
        isInitialStep = true
        step()
        isInitialStep = false
    }

    /// PyTorch's `_update_lr(epoch)`: jumps to `epoch` and sets the LR in closed form (or from
    /// `computeLR()` for schedulers without one). `SequentialLR` uses it at its milestones.
    func jump(toEpoch epoch: Int) {
        lastEpoch = epoch
        let lr = closedFormLR(epoch: epoch) ?? computeLR()
        optimizer.lr = lr
        lastLR = lr
    }

    /// The LR at `epoch` computed from the base LR alone (PyTorch's `_get_closed_form_lr`), or nil
    /// when the schedule has no closed form.
    open func closedFormLR(epoch: Int) -> Double? { nil }

    /// The LR for `lastEpoch` (already advanced), given the optimizer's current LR: PyTorch's
    /// `get_lr()`. Subclasses override it.
    open func computeLR() -> Double {
        trap("\(type(of: self)) does not override computeLR()")
    }

    /// Advances the schedule by one step and sets the optimizer's LR.
    open func step() {
        stepCount += 1
        lastEpoch += 1
        let lr = computeLR()
        optimizer.lr = lr
        lastLR = lr
    }

    /// The scheduler's position, for checkpoints.
    open var state: SchedulerState {
        SchedulerState(lastEpoch: lastEpoch, stepCount: stepCount, baseLR: baseLR, lastLR: lastLR)
    }

    /// Restores a position saved with `state` and sets the optimizer's LR to the saved last LR
    /// (loading the optimizer's own state dict sets the same value).
    open func load(_ state: SchedulerState) {
        lastEpoch = state.lastEpoch
        stepCount = state.stepCount
        baseLR = state.baseLR
        lastLR = state.lastLR
        optimizer.lr = state.lastLR
    }
}

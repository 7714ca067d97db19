// The hyper-parameters of a training run, with torchvision's classification reference recipe
// (references/classification/train.py) as the defaults where they fit a small CPU run:
// SGD with momentum 0.9 and weight decay 1e-4, StepLR(30, 0.1), linear warm-up from
// lr·warmupDecay (0.01) over `warmupEpochs` epochs, no label smoothing. Stored as JSON in every
// checkpoint (`train_state.config`) so a resumed run knows what it was doing.

/// The optimizer a run uses.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// SGD with (by default) momentum 0.9 and weight decay 1e-4.
    case sgd
    /// Adam (L2 weight decay, default 0).
    case adam
    /// AdamW (decoupled weight decay, default 0.01).
    case adamw
}

/// The learning-rate schedule of a run. `step`, `multistep` and `cosine` are stepped once per
/// epoch, `onecycle` once per batch, as in PyTorch's examples.
public enum SchedulerKind: String, Codable, Sendable, CaseIterable {
    /// Constant learning rate (after any warm-up).
    case none
    /// ×`gamma` every `stepSize` epochs (StepLR).
    case step
    /// ×`gamma` at each of `milestones` epochs (MultiStepLR).
    case multistep
    /// Cosine from `lr` to `minLR` over the epochs after the warm-up (CosineAnnealingLR).
    case cosine
    /// The 1cycle policy over all batches of the run, peaking at `lr` (OneCycleLR).
    case onecycle
}

/// Everything that defines a training run besides the model and the data.
public struct TrainingConfig: Sendable, Equatable {
    /// Number of epochs to train.
    public var epochs: Int
    /// Images per batch (the data loader's batch size; recorded for reference and resume).
    public var batchSize: Int
    /// Learning rate; nil takes the optimizer's default (`resolvedLR`).
    public var lr: Double?
    /// The optimizer.
    public var optimizer: OptimizerKind
    /// SGD's momentum (ignored by Adam/AdamW).
    public var momentum: Double
    /// Nesterov momentum for SGD.
    public var nesterov: Bool
    /// Weight decay; nil takes the optimizer's default (`resolvedWeightDecay`).
    public var weightDecay: Double?
    /// Adam/AdamW's (β₁, β₂).
    public var betas: [Double]
    /// The learning-rate schedule.
    public var scheduler: SchedulerKind
    /// StepLR's period in epochs.
    public var stepSize: Int
    /// StepLR/MultiStepLR's factor.
    public var gamma: Double
    /// MultiStepLR's milestones (epochs).
    public var milestones: [Int]
    /// CosineAnnealingLR's final learning rate.
    public var minLR: Double
    /// OneCycleLR's fraction of steps spent raising the learning rate.
    public var pctStart: Double
    /// Epochs of linear warm-up before the schedule (not with `onecycle`, which has its own).
    public var warmupEpochs: Int
    /// The warm-up starts at `lr · warmupDecay` (torchvision's `lr_warmup_decay`).
    public var warmupDecay: Double
    /// Label smoothing ε of the cross-entropy loss, in [0, 1).
    public var labelSmoothing: Double
    /// Seed of the run: model initialisation (`Trainer.makeModel`), dropout and the data order.
    public var seed: UInt64
    /// Train only the classifier head (`FineTuning.freezeBackbone`); the rest keeps its weights.
    public var freezeBackbone: Bool

    /// A configuration; every argument has the reference recipe's default.
    public init(epochs: Int = 10, batchSize: Int = 32, lr: Double? = nil, optimizer: OptimizerKind = .sgd,
                momentum: Double = 0.9, nesterov: Bool = false, weightDecay: Double? = nil,
                betas: [Double] = [0.9, 0.999], scheduler: SchedulerKind = .step, stepSize: Int = 30,
                gamma: Double = 0.1, milestones: [Int] = [], minLR: Double = 0, pctStart: Double = 0.3,
                warmupEpochs: Int = 0, warmupDecay: Double = 0.01, labelSmoothing: Double = 0, seed: UInt64 = 0,
                freezeBackbone: Bool = false) {
        self.epochs = epochs; self.batchSize = batchSize; self.lr = lr; self.optimizer = optimizer
        self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay; self.betas = betas
        self.scheduler = scheduler; self.stepSize = stepSize; self.gamma = gamma; self.milestones = milestones
        self.minLR = minLR; self.pctStart = pctStart; self.warmupEpochs = warmupEpochs
        self.warmupDecay = warmupDecay; self.labelSmoothing = labelSmoothing; self.seed = seed
        self.freezeBackbone = freezeBackbone
    }

    /// The learning rate used: `lr`, or 0.1 for SGD (torchvision's reference) and 1e-3 for
    /// Adam/AdamW (PyTorch's default).
    public var resolvedLR: Double { lr ?? (optimizer == .sgd ? 0.1 : 1e-3) }

    /// The weight decay used: `weightDecay`, or 1e-4 for SGD (torchvision's reference), 0 for Adam
    /// and 0.01 for AdamW (PyTorch's defaults).
    public var resolvedWeightDecay: Double {
        weightDecay ?? { switch optimizer { case .sgd: 1e-4; case .adam: 0; case .adamw: 1e-2 } }()
    }

    /// Whether the scheduler steps after every batch (true) or after every epoch (false).
    public var schedulerStepsPerBatch: Bool { scheduler == .onecycle }

    /// Checks the values; throws `TrainingError.invalidConfig` naming the first bad one.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TrainingError.invalidConfig(message()) }
        }
        try require(epochs >= 1, "epochs must be at least 1, got \(epochs)")
        try require(batchSize >= 1, "batch size must be at least 1, got \(batchSize)")
        try require(resolvedLR > 0 && resolvedLR.isFinite, "learning rate must be positive, got \(resolvedLR)")
        try require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got \(momentum)")
        try require(!nesterov || (optimizer == .sgd && momentum > 0), "nesterov needs SGD with a positive momentum")
        try require(resolvedWeightDecay >= 0, "weight decay must be non-negative, got \(resolvedWeightDecay)")
        try require(betas.count == 2 && betas.allSatisfy { $0 >= 0 && $0 < 1 },
                    "betas must be two values in [0, 1), got \(betas)")
        try require(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1), got \(labelSmoothing)")
        try require(warmupEpochs >= 0 && warmupEpochs < epochs,
                    "warm-up epochs must be in 0..<epochs (\(epochs)), got \(warmupEpochs)")
        try require(warmupDecay > 0 && warmupDecay <= 1, "warm-up decay must be in (0, 1], got \(warmupDecay)")
        switch scheduler {
        case .none: break
        case .step: try require(stepSize >= 1, "step size must be at least 1, got \(stepSize)")
        case .multistep: try require(!milestones.isEmpty && milestones.allSatisfy { $0 >= 1 },
                                     "multistep needs milestones (epochs >= 1), got \(milestones)")
        case .cosine: try require(minLR >= 0 && minLR < resolvedLR, "min LR must be in [0, lr), got \(minLR)")
        case .onecycle:
            try require(warmupEpochs == 0, "onecycle has its own warm-up; set warm-up epochs to 0")
            try require(pctStart > 0 && pctStart < 1, "pct start must be in (0, 1), got \(pctStart)")
        }
    }
}

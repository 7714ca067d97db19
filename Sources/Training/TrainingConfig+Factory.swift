// The optimizer and LR schedule a TrainingConfig describes, built as torchvision's classification
// reference builds them: the main scheduler (StepLR / MultiStepLR / CosineAnnealingLR over the
// epochs after the warm-up), then, with warm-up epochs, LinearLR(start = lr·warmupDecay) and
// SequentialLR([warm-up, main], milestones: [warmupEpochs]). OneCycleLR runs over every batch of
// the run and cycles SGD's momentum / Adam's β₁ (PyTorch's default), unless SGD has no momentum.

import NN

extension TrainingConfig {
    /// The optimizer over `parameters`.
    public func makeOptimizer(_ parameters: [Parameter]) -> any Optimizer {
        let lr = resolvedLR, wd = resolvedWeightDecay
        switch optimizer {
        case .sgd:
            return SGD(parameters, lr: lr, momentum: momentum, weightDecay: wd, nesterov: nesterov)
        case .adam:
            return Adam(parameters, lr: lr, betas: (betas[0], betas[1]), weightDecay: wd)
        case .adamw:
            return AdamW(parameters, lr: lr, betas: (betas[0], betas[1]), weightDecay: wd)
        }
    }

    /// The LR scheduler on `optimizer` (nil for a constant LR), for `batchesPerEpoch` batches per
    /// epoch. Build it right after the optimizer: construction already sets the first LR.
    public func makeScheduler(_ optimizer: any Optimizer, batchesPerEpoch: Int) -> LRScheduler? {
        let main: LRScheduler?
        switch scheduler {
        case .none:
            main = nil
        case .step:
            main = StepLR(optimizer, stepSize: stepSize, gamma: gamma)
        case .multistep:
            main = MultiStepLR(optimizer, milestones: milestones, gamma: gamma)
        case .cosine:
            main = CosineAnnealingLR(optimizer, tMax: epochs - warmupEpochs, etaMin: minLR)
        case .onecycle:
            let cycle = !(self.optimizer == .sgd && momentum == 0)
            main = OneCycleLR(optimizer, maxLR: resolvedLR, totalSteps: epochs * max(batchesPerEpoch, 1), pctStart: pctStart,
                              cycleMomentum: cycle)
        }
        guard warmupEpochs > 0 else { return main }
        let warmup = LinearLR(optimizer, startFactor: warmupDecay, endFactor: 1, totalIters: warmupEpochs)
        guard let main else { return warmup }
        return SequentialLR(optimizer, schedulers: [warmup, main], milestones: [warmupEpochs])
    }
}

// LR schedulers against PyTorch (Fixtures/schedulers.json): the LR (and cycled momentum) right
// after construction and after each of 30 steps; resuming from a saved state.

import Testing
import NN
import Tensors

/// The scheduler a fixture case describes, on a fresh optimizer with PyTorch's starting values
/// (SGD lr 0.1 momentum 0.9, or Adam lr 0.1).
func makeScheduler(_ c: OptimFixtures.SchedulerCase) -> (any MomentumScheduled, LRScheduler) {
    let p = Parameter(.zeros([1]))
    let optimizer: any MomentumScheduled = c.optimizer == "sgd" ? SGD([p], lr: 0.1, momentum: 0.9) : Adam([p], lr: 0.1)
    return (optimizer, makeScheduler(c.kind, c.args, optimizer))
}

func makeScheduler(_ kind: String, _ a: [String: OptimFixtures.Arg], _ optimizer: any Optimizer) -> LRScheduler {
    switch kind {
    case "step": return StepLR(optimizer, stepSize: a["stepSize"]!.int, gamma: a["gamma"]!.double)
    case "multistep": return MultiStepLR(optimizer, milestones: a["milestones"]!.numbers.map { Int($0) }, gamma: a["gamma"]!.double)
    case "cosine": return CosineAnnealingLR(optimizer, tMax: a["tMax"]!.int, etaMin: a["etaMin"]!.double)
    case "linear":
        return LinearLR(optimizer, startFactor: a["startFactor"]!.double, endFactor: a["endFactor"]!.double,
                        totalIters: a["totalIters"]!.int)
    case "onecycle":
        return OneCycleLR(optimizer, maxLR: a["maxLR"]!.double, totalSteps: a["totalSteps"]!.int,
                          pctStart: a["pctStart"]!.double, annealing: .init(rawValue: a["anneal"]!.string)!,
                          baseMomentum: a["baseMomentum"]?.double ?? 0.85, maxMomentum: a["maxMomentum"]?.double ?? 0.95,
                          divFactor: a["divFactor"]!.double, finalDivFactor: a["finalDivFactor"]!.double)
    case "sequential":
        let children = a["children"]!.objectList.map { makeScheduler($0["kind"]!.string, $0, optimizer) }
        return SequentialLR(optimizer, schedulers: children, milestones: a["milestones"]!.numbers.map { Int($0) })
    default: fatalError("unknown scheduler \(kind)")
    }
}

private func close(_ a: Double, _ b: Double) -> Bool { Swift.abs(a - b) <= 1e-12 * Swift.max(Swift.abs(b), 1e-6) }

@Suite struct SchedulerTests {
    @Test(arguments: OptimFixtures.schedulerCases)
    func sequenceMatchesPyTorch(_ c: OptimFixtures.SchedulerCase) {
        let (optimizer, scheduler) = makeScheduler(c)
        for i in 0..<c.lrs.count {
            if i > 0 {
                optimizer.step()
                scheduler.step()
            }
            #expect(close(scheduler.lastLR, c.lrs[i]), "\(c.name) step \(i): \(scheduler.lastLR) vs \(c.lrs[i])")
            #expect(optimizer.lr == scheduler.lastLR)
            #expect(close(optimizer.scheduledMomentum, c.momentums[i]),
                    "\(c.name) step \(i) momentum: \(optimizer.scheduledMomentum) vs \(c.momentums[i])")
        }
        #expect(scheduler.lastEpoch == c.lrs.count - 1)
    }

    /// Saving the optimizer and scheduler after 10 steps and loading them into fresh ones continues
    /// PyTorch's sequence exactly.
    @Test(arguments: OptimFixtures.schedulerCases.filter { ["cosine_periodic", "onecycle_cos_sgd", "multistep", "warmup_then_cosine", "warmup_step_multistep"].contains($0.name) })
    func resumesFromSavedState(_ c: OptimFixtures.SchedulerCase) throws {
        let (optimizer, scheduler) = makeScheduler(c)
        for _ in 0..<10 { optimizer.step(); scheduler.step() }
        let savedOptimizer = optimizer.stateDict(), savedScheduler = scheduler.state

        let (fresh, freshScheduler) = makeScheduler(c)
        try fresh.loadStateDict(savedOptimizer)
        freshScheduler.load(savedScheduler)
        #expect(freshScheduler.state == savedScheduler)
        for i in 11..<c.lrs.count {
            fresh.step()
            freshScheduler.step()
            #expect(close(fresh.lr, c.lrs[i]), "\(c.name) resumed step \(i)")
            #expect(close(fresh.scheduledMomentum, c.momentums[i]), "\(c.name) resumed step \(i) momentum")
        }
    }

    @Test func closedFormsAgreeWithRecursiveForms() {
        let p = Parameter(.zeros([1]))
        let cosine = CosineAnnealingLR(SGD([p], lr: 0.2), tMax: 12, etaMin: 0.01)
        let linear = LinearLR(SGD([p], lr: 0.2), startFactor: 0.25, totalIters: 6)
        let step = StepLR(SGD([p], lr: 0.2), stepSize: 4, gamma: 0.5)
        let multi = MultiStepLR(SGD([p], lr: 0.2), milestones: [3, 7, 7], gamma: 0.5)
        for epoch in 1...12 {
            cosine.step(); linear.step(); step.step(); multi.step()
            #expect(Swift.abs(multi.lastLR - multi.closedFormLR(epoch: epoch)!) < 1e-12)
            #expect(Swift.abs(cosine.lastLR - cosine.closedFormLR(epoch: epoch)!) < 1e-12)
            #expect(Swift.abs(linear.lastLR - linear.closedFormLR(epoch: epoch)!) < 1e-12)
            #expect(Swift.abs(step.lastLR - step.closedFormLR(epoch: epoch)!) < 1e-12)
        }
        #expect(Swift.abs(cosine.lastLR - 0.01) < 1e-12)
        #expect(Swift.abs(linear.lastLR - 0.2) < 1e-12)
    }
}

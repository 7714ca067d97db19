// Optimizers against PyTorch: 3-step trajectories of a tiny CNN (Fixtures/optim.json) for SGD
// (plain, momentum + weight decay, Nesterov, dampening + maximize), Adam (L2 decay, amsgrad) and
// AdamW, comparing every parameter, the BatchNorm running statistics and the loss after each step;
// exact resume through state dicts; in-place updates.

import Testing
import NN
import Tensors

/// The fixture's network: Conv-BN-ReLU-MaxPool-Flatten-Linear, as built by the PyTorch script.
func makeFixtureCNN() -> Sequential {
    Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 2), Flatten(),
               Linear(64, 3))
}

/// The optimizer a fixture run used, over `parameters`.
func makeOptimizer(_ run: OptimFixtures.Run, _ parameters: [Parameter]) -> any Optimizer {
    let a = run.args
    let lr = a["lr"]!.double, wd = a["weight_decay"]?.double ?? 0
    switch run.optimizer {
    case "sgd":
        return SGD(parameters, lr: lr, momentum: a["momentum"]?.double ?? 0, dampening: a["dampening"]?.double ?? 0,
                   weightDecay: wd, nesterov: a["nesterov"]?.bool ?? false, maximize: a["maximize"]?.bool ?? false)
    default:
        let b = a["betas"]?.numbers ?? [0.9, 0.999]
        let eps = a["eps"]?.double ?? 1e-8, ams = a["amsgrad"]?.bool ?? false
        if run.optimizer == "adamw" {
            return AdamW(parameters, lr: lr, betas: (b[0], b[1]), eps: eps, weightDecay: wd, amsgrad: ams)
        }
        return Adam(parameters, lr: lr, betas: (b[0], b[1]), eps: eps, weightDecay: wd, amsgrad: ams)
    }
}

@Suite struct OptimizerTests {
    static let data = OptimFixtures.optim

    /// One training step as the script takes it; returns the loss.
    @discardableResult
    static func trainStep(_ model: Module, _ optimizer: any Optimizer, smoothing: Float) throws -> Float {
        optimizer.zeroGrad()
        let loss = crossEntropy(model(data.input.tensor), data.targets, labelSmoothing: smoothing)
        try loss.backward()
        optimizer.step()
        return loss.item()
    }

    /// Compares the model's state dict (parameters and BN buffers) with PyTorch's after a step:
    /// |a − b| ≤ 1e-5·(|b| + 0.1), i.e. 1e-5 relative with an absolute floor of 1e-6.
    static func expectState(_ model: Module, _ expected: OptimFixtures.Step, _ label: String) {
        let ours = model.stateDict()
        #expect(ours.count == expected.state.count, "\(label): \(ours.count) entries vs \(expected.state.count)")
        for (name, t) in ours {
            guard let ref = expected.state[name] else { Issue.record("\(label): missing \(name) in fixture"); continue }
            #expect(t.shape == ref.shape, "\(label) \(name)")
            let err = OptimFixtures.maxRelativeError(t.scalars, ref.data, floor: 0.1)
            #expect(err <= 1e-5, "\(label) \(name): error \(err)")
        }
    }

    @Test(arguments: OptimFixtures.optim.runs)
    func trajectoryMatchesPyTorch(_ run: OptimFixtures.Run) throws {
        let model = makeFixtureCNN()
        try model.loadStateDict(Self.data.initialState)
        let optimizer = makeOptimizer(run, model.parameters())
        for (i, expected) in run.steps.enumerated() {
            let loss = try Self.trainStep(model, optimizer, smoothing: run.labelSmoothing)
            #expect(Swift.abs(loss - expected.loss) <= 1e-5 * Swift.abs(expected.loss), "\(run.name) step \(i + 1) loss")
            Self.expectState(model, expected, "\(run.name) step \(i + 1)")
        }
        // The comparison means something only if the weights moved far beyond its tolerance.
        let initial = Dictionary(uniqueKeysWithValues: Self.data.initialState)
        for name in ["0.weight", "1.weight", "5.weight"] {
            let moved = OptimFixtures.maxRelativeError(run.steps[2].state[name]!.data, initial[name]!.scalars, floor: 0.1)
            #expect(moved > 1e-3, "\(run.name) \(name) moved only \(moved)")
        }
    }

    /// One step, then a fresh model and optimizer restored from state dicts take the remaining two:
    /// the result equals PyTorch's uninterrupted 3-step run.
    @Test(arguments: OptimFixtures.optim.runs.filter { ["sgd_nesterov_wd", "adam_wd_amsgrad", "adamw"].contains($0.name) })
    func resumesExactlyFromStateDicts(_ run: OptimFixtures.Run) throws {
        let first = makeFixtureCNN()
        try first.loadStateDict(Self.data.initialState)
        let firstOptimizer = makeOptimizer(run, first.parameters())
        try Self.trainStep(first, firstOptimizer, smoothing: run.labelSmoothing)
        let savedModel = first.stateDict(), savedOptimizer = firstOptimizer.stateDict()
        try Self.trainStep(first, firstOptimizer, smoothing: run.labelSmoothing)  // must not disturb the saved copies

        let resumed = makeFixtureCNN()
        try resumed.loadStateDict(savedModel)
        let optimizer = makeOptimizer(run, resumed.parameters())
        optimizer.lr = 123  // overwritten by the load
        try optimizer.loadStateDict(savedOptimizer)
        #expect(optimizer.lr == run.args["lr"]!.double)
        try Self.trainStep(resumed, optimizer, smoothing: run.labelSmoothing)
        try Self.trainStep(resumed, optimizer, smoothing: run.labelSmoothing)
        Self.expectState(resumed, run.steps[2], "\(run.name) resumed")
    }

    @Test func stateDictNamesFollowPyTorch() {
        let p = Parameter(.ones([2])), q = Parameter(.ones([3]))
        let adam = Adam([p, q], amsgrad: true)
        q.grad = .ones([3])
        adam.step()
        let s = adam.stateDict()
        #expect(s.kind == "Adam")
        #expect(s.tensors.map(\.name) == ["1.exp_avg", "1.exp_avg_sq", "1.max_exp_avg_sq"])
        #expect(s.scalar("1.step") == 1 && s.scalar("0.step") == nil && s.scalar("lr") == 1e-3)
        let sgd = SGD([p, q], lr: 0.1, momentum: 0.9)
        p.grad = .ones([2])
        sgd.step()
        #expect(sgd.stateDict().tensors.map(\.name) == ["0.momentum_buffer", "1.momentum_buffer"])
        #expect(AdamW([p]).stateDict().kind == "AdamW")
    }

    @Test func loadingMismatchedStateThrows() {
        let p = Parameter(.ones([2]))
        let sgd = SGD([p], lr: 0.1, momentum: 0.9)
        p.grad = .ones([2])
        sgd.step()
        #expect(throws: OptimizerStateError("cannot load SGD state into Adam")) { try Adam([p]).loadStateDict(sgd.stateDict()) }
        #expect(throws: OptimizerStateError("SGD state is for 1 parameters, optimizer has 2")) {
            try SGD([p, p]).loadStateDict(sgd.stateDict())
        }
        #expect(throws: OptimizerStateError("SGD state '0.momentum_buffer' has shape [2], parameter has [5]")) {
            try SGD([Parameter(.ones([5]))]).loadStateDict(sgd.stateDict())
        }
    }

    @Test func updatesInPlaceAndLeavesSnapshotsAlone() {
        let p = Parameter(Tensor([1, 2, 3, 4]))
        let sgd = SGD([p], lr: 0.5, momentum: 0.9)
        let address = { p.value.withUnsafeBufferPointer { $0.baseAddress } }
        let before = address()
        p.grad = Tensor([1, 1, 1, 1])
        sgd.step()
        #expect(address() == before, "a uniquely referenced parameter is updated without a copy")
        #expect(p.value.scalars == [0.5, 1.5, 2.5, 3.5])
        #expect(p.value.requiresGrad && p.value.isLeaf && p.grad != nil)

        let snapshot = p.value.detached()  // e.g. a state dict taken for a checkpoint
        sgd.step()  // buffer = 0.9·1 + 1 = 1.9
        #expect(snapshot.scalars == [0.5, 1.5, 2.5, 3.5])
        for (a, b) in zip(p.value.scalars, [0.5 - 0.95, 1.5 - 0.95, 2.5 - 0.95, 3.5 - 0.95] as [Float]) {
            #expect(Swift.abs(a - b) < 1e-6)
        }
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let p = Parameter(Tensor([1, 2])), q = Parameter(Tensor([3, 4]))
        let adam = Adam([p, q], lr: 0.1, weightDecay: 0.1)
        q.grad = Tensor([1, -1])
        adam.step()
        #expect(p.value.scalars == [1, 2])
        #expect(adam.states[0] == nil && adam.states[1]?.step == 1)
        // First Adam step moves each weight by lr·sign(g) (up to ε and the weight-decay term's share).
        let q1 = q.value.scalars
        #expect(Swift.abs(q1[0] - 2.9) < 1e-3 && Swift.abs(q1[1] - 4.1) < 1e-3)
    }
}

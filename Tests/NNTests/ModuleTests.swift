// Module API: names, order, modes, state dicts and error messages.

import Testing
import NN
import Tensors

/// A tiny CNN in torchvision's naming style, used by several tests.
final class TinyNet: Module, @unchecked Sendable {
    let features: Sequential
    let classifier: Linear
    init(classes: Int = 3) {
        features = Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(),
                              MaxPool2d(kernelSize: 2), Conv2d(4, 8, kernelSize: 3, padding: 1, bias: false),
                              BatchNorm2d(8), ReLU(), AdaptiveAvgPool2d(1), Flatten())
        classifier = Linear(8, classes)
        super.init()
        registerModule("features", features)
        registerModule("classifier", classifier)
    }
    override func forward(_ input: Tensor) -> Tensor { classifier(features(input)) }
}

@Suite struct ModuleTests {
    @Test func stateDictKeysFollowPyTorchOrderAndNames() {
        let net = TinyNet()
        let keys = net.stateDict().map(\.name)
        #expect(keys == [
            "features.0.weight", "features.0.bias",
            "features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var",
            "features.1.num_batches_tracked",
            "features.4.weight",
            "features.5.weight", "features.5.bias", "features.5.running_mean", "features.5.running_var",
            "features.5.num_batches_tracked",
            "classifier.weight", "classifier.bias",
        ])
        #expect(net.namedParameters().count == 9)
        #expect(net.parameterCount == 4 * 9 + 4 + 4 + 4 + 8 * 4 * 9 + 8 + 8 + 8 * 3 + 3)
        #expect(net.features[4].path == "features.4")
    }

    @Test func defaultInitialisationHasPyTorchBounds() {
        TorchGenerator.manualSeed(3)
        let conv = Conv2d(16, 32, kernelSize: 3)
        let bound = 1 / Float(16 * 9).squareRoot()
        let w = conv.weight.value
        #expect(w.max().item() <= bound && w.min().item() >= -bound)
        #expect(w.max().item() > bound * 0.95 && w.min().item() < -bound * 0.95)
        #expect(conv.bias!.value.abs().max().item() <= bound)
        let bn = BatchNorm2d(5)
        #expect(bn.weight!.value.scalars == [1, 1, 1, 1, 1])
        #expect(bn.runningVar!.value.scalars == [1, 1, 1, 1, 1])
    }

    @Test func loadStateDictRoundTripsAndReportsProblemsByName() throws {
        let a = TinyNet(), b = TinyNet()
        try b.loadStateDict(a.stateDict())
        for (x, y) in zip(a.stateDict(), b.stateDict()) { #expect(x.tensor.scalars == y.tensor.scalars, "\(x.name)") }

        var partial = a.stateDict().filter { $0.name != "classifier.bias" }
        partial.append(("extra.weight", Tensor.zeros([1])))
        do {
            try b.loadStateDict(partial.map { ($0.name, $0.tensor) })
            Issue.record("strict load should throw")
        } catch let error as StateDictError {
            #expect(error.report.missingKeys == ["classifier.bias"])
            #expect(error.report.unexpectedKeys == ["extra.weight"])
        }
        let report = try b.loadStateDict(partial.map { ($0.name, $0.tensor) }, strict: false)
        #expect(report.missingKeys == ["classifier.bias"])

        let wrongShape = a.stateDict().map { $0.name == "classifier.weight" ? ($0.name, Tensor.zeros([5, 8])) : ($0.name, $0.tensor) }
        do {
            try b.loadStateDict(wrongShape, strict: false)
            Issue.record("shape mismatch should throw even when not strict")
        } catch let error as StateDictError {
            #expect(error.description.contains("size mismatch for classifier.weight: checkpoint has [5, 8], model expects [3, 8]"))
        }
    }

    @Test func trainAndEvalSwitchEveryDescendant() {
        let net = TinyNet()
        net.eval()
        #expect(net.namedModules().allSatisfy { !$0.module.isTraining })
        net.train()
        #expect(net.features[1].isTraining)
    }

    @Test func batchNormUpdatesRunningStatisticsOnlyInTraining() {
        let bn = BatchNorm2d(2)
        let x = Tensor(shape: [2, 2, 1, 2], data: [1, 2, 10, 20, 3, 4, 30, 40])
        _ = bn(x)
        // Channel 0 values 1,2,3,4: mean 2.5, unbiased var 1.6667; running = 0.9·init + 0.1·stat.
        #expect(closeEnough(bn.runningMean!.value.scalars, [0.25, 2.5]))
        #expect(closeEnough(bn.runningVar!.value.scalars, [0.9 + 0.1 * 5 / 3, 0.9 + 0.1 * 500 / 3]))
        #expect(bn.numBatchesTracked!.value.item() == 1)
        bn.eval()
        let before = bn.runningMean!.value.scalars
        let y = bn(x)
        #expect(bn.runningMean!.value.scalars == before)
        let expected0 = (1 - before[0]) / (bn.runningVar!.value.scalars[0] + 1e-5).squareRoot()
        #expect(Swift.abs(y.scalars[0] - expected0) < 1e-5)
    }
}

func closeEnough(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1)) }
}

@Suite struct BatchNormFoldingTests {
    @Test func foldingKeepsPredictionsAndTrainingUndoesIt() throws {
        TorchGenerator.manualSeed(11)
        let net = TinyNet()
        // Give the BNs non-trivial statistics with a few training-mode passes.
        var g = RandomGenerator(seed: 5)
        for _ in 0..<3 { _ = net(Tensor.normal([8, 1, 8, 8], mean: 0.5, std: 2, generator: &g)) }
        let x = Tensor.normal([4, 1, 8, 8], generator: &g)
        net.eval()
        let reference = withNoGrad { net(x) }
        let keysBefore = net.stateDict().map(\.name)
        net.foldBatchNormsForInference()
        let folded = withNoGrad { net(x) }
        #expect(closeEnough(folded.scalars, reference.scalars, tolerance: 1e-5))
        #expect(net.stateDict().map(\.name) == keysBefore, "folding leaves the state dict alone")
        net.train()
        net.eval()
        #expect(withNoGrad { net(x) }.scalars == reference.scalars, "train() undoes the folding")
    }
}

// The classic family (SqueezeNet, DenseNet, GoogLeNet, Inception v3, ShuffleNet V2) beyond the key
// and logit parity of ModelParityTests: one SGD step on reduced models, the auxiliary heads (present
// in the state dict, computed only in training mode, torchvision's shapes), GoogLeNet's input
// transform, torchvision's initial distributions, fine-tuning heads, and DenseNet's published
// pre-0.4 keys (`denselayer1.norm.1.weight`, no `num_batches_tracked`) loading through the zoo paths.

import Foundation
import Testing
import SwiftVision

private enum Classic {
    /// A deterministic [n, 3, size, size] input.
    static func input(_ n: Int, _ size: Int) -> Tensor {
        let count = n * 3 * size * size
        return Tensor(shape: [n, 3, size, size], data: (0..<count).map { Float(sin(0.1 * Double($0))) })
    }

    /// One SGD step of `loss` in training mode; returns the loss and the parameters it left unchanged.
    static func sgdStep(_ model: Module, _ loss: (Module) -> Tensor) throws -> (loss: Float, unchanged: [String]) {
        model.train()
        let parameters = model.parameters()
        let before = parameters.map(\.value.scalars)
        let value = loss(model)
        try value.backward()
        SGD(parameters, lr: 0.05, momentum: 0.9).step()
        let unchanged = zip(model.namedParameters(), before).filter { $0.0.parameter.value.scalars == $0.1 }.map(\.0.name)
        return (value.item(), unchanged)
    }

    /// Two evaluation-mode forwards give the same output.
    static func evalIsDeterministic(_ model: Module, _ x: Tensor) -> Bool {
        model.eval()
        return withNoGrad { model(x).scalars == model(x).scalars }
    }

    /// `key` as torchvision's published DenseNet files spell it (`norm1` → `norm.1`, ...).
    static func legacyDenseNetKey(_ key: String) -> String {
        guard key.contains("denselayer") else { return key }
        var parts = key.split(separator: ".").map(String.init)
        let n = parts.count
        guard n >= 2, let digit = parts[n - 2].last, digit == "1" || digit == "2",
              ["norm", "conv"].contains(String(parts[n - 2].dropLast())) else { return key }
        parts[n - 2] = String(parts[n - 2].dropLast()) + "." + String(digit)
        return parts.joined(separator: ".")
    }

    /// `model`'s state dict with legacy DenseNet keys and without `num_batches_tracked`, as in the zoo files.
    static func legacyDenseNetStateDict(_ model: Module) -> StateDict {
        var out = StateDict()
        for (name, tensor) in model.stateDict() where !name.hasSuffix("num_batches_tracked") {
            out.set(legacyDenseNetKey(name), tensor, dtype: .float32)
        }
        return out
    }

    /// A reduced DenseNet (two layers per block, growth 4).
    static func smallDenseNet(numClasses: Int, dropRate: Float = 0) -> DenseNet {
        DenseNet(growthRate: 4, blockConfig: [2, 2, 2, 2], numInitFeatures: 8, bnSize: 2, dropRate: dropRate, numClasses: numClasses)
    }

    /// `model` with ModelParityTests' formula weights (the random initial ones make GoogLeNet's
    /// eval output all but constant: std-0.01 convs over BN running statistics of 0 and 1).
    static func withFormulaWeights<M: Module>(_ model: M) -> M {
        let entries = model.stateDict().enumerated().map { k, entry in
            (entry.name, ModelFixtures.formulaTensor(key: entry.name, shape: entry.tensor.shape, index: k))
        }
        try! model.loadStateDict(entries)
        return model
    }

    /// The state-dict entry `key` of `model`.
    static func tensor(_ model: Module, _ key: String) -> Tensor {
        model.stateDict().first { $0.name == key }!.tensor
    }

    /// The standard deviation of the values inside ±1 (a truncated normal puts a value at its
    /// lower bound where the uniform draw is exactly its lower end, 2⁻²⁴ of the time, as PyTorch's).
    static func std(_ t: Tensor) -> Double {
        let v = t.scalars.filter { abs($0) < 1 }.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
    }
}

@Suite struct ClassicFamilyTests {
    // MARK: Training

    @Test func squeezeNetTrainsOneStep() throws {
        let model = try Architectures.build("squeezenet1_1", numClasses: 10)
        let x = Classic.input(2, 64)
        let step = try Classic.sgdStep(model) { crossEntropy($0(x), [3, 7]) }
        #expect(step.loss.isFinite)
        #expect(step.unchanged.isEmpty)
        #expect(Classic.evalIsDeterministic(model, x))
    }

    @Test func shuffleNetTrainsOneStep() throws {
        let model = try Architectures.build("shufflenet_v2_x0_5", numClasses: 10)
        let x = Classic.input(2, 64)
        let step = try Classic.sgdStep(model) { crossEntropy($0(x), [1, 9]) }
        #expect(step.loss.isFinite)
        #expect(step.unchanged.isEmpty)
        #expect(Classic.evalIsDeterministic(model, x))
    }

    @Test func denseNetWithDropoutTrainsOneStep() throws {
        let model = Classic.smallDenseNet(numClasses: 5, dropRate: 0.2)
        let x = Classic.input(2, 64)
        let step = try Classic.sgdStep(model) { crossEntropy($0(x), [0, 4]) }
        #expect(step.loss.isFinite)
        // Every consumer of the stem's output starts with its own training-mode BN, which undoes a
        // per-channel scale: norm0's weight has no gradient but rounding (in torchvision too).
        #expect(step.unchanged.allSatisfy { $0 == "features.norm0.weight" }, "\(step.unchanged)")
        #expect(Classic.evalIsDeterministic(model, x))
    }

    /// torchvision's GoogLeNet training loss: main + 0.3 · (aux1 + aux2); every parameter moves.
    @Test func googLeNetTrainsOneStepWithAuxiliaryLoss() throws {
        let model = GoogLeNet(numClasses: 10)
        let x = Classic.input(2, 64)
        let step = try Classic.sgdStep(model) { m in
            let out = (m as! GoogLeNet).forwardWithAuxiliary(x)
            return crossEntropy(out.logits, [2, 5]) + 0.3 * (crossEntropy(out.aux1!, [2, 5]) + crossEntropy(out.aux2!, [2, 5]))
        }
        #expect(step.loss.isFinite)
        #expect(step.unchanged.isEmpty)
        #expect(Classic.evalIsDeterministic(model, x))
    }

    // MARK: Auxiliary heads

    @Test func googLeNetAuxiliaryHeadsRunOnlyInTraining() throws {
        let model = try #require(try Architectures.build("googlenet", numClasses: 7) as? GoogLeNet)
        #expect(model.stateDict().contains { $0.name == "aux1.fc2.weight" } && model.stateDict().contains { $0.name == "aux2.conv.bn.running_var" })
        let x = Classic.input(2, 64)
        let train = withNoGrad { model.train().forwardWithAuxiliary(x) }
        #expect(train.logits.shape == [2, 7] && train.aux1?.shape == [2, 7] && train.aux2?.shape == [2, 7])
        let eval = withNoGrad { model.eval().forwardWithAuxiliary(x) }
        #expect(eval.aux1 == nil && eval.aux2 == nil)
        #expect(withNoGrad { model(x) }.scalars == eval.logits.scalars)

        let plain = GoogLeNet(numClasses: 7, auxLogits: false)
        #expect(!plain.stateDict().contains { $0.name.hasPrefix("aux") })
        let out = withNoGrad { plain.train().forwardWithAuxiliary(x) }
        #expect(out.aux1 == nil && out.aux2 == nil && out.logits.shape == [2, 7])
    }

    /// The auxiliary head needs Mixed_6e's 17 × 17, i.e. 299 × 299 inputs (as in torchvision);
    /// evaluation needs only 75 × 75.
    @Test func inceptionAuxiliaryHeadRunsOnlyInTraining() throws {
        let model = try #require(try Architectures.build("inception_v3", numClasses: 6) as? InceptionV3)
        #expect(model.stateDict().contains { $0.name == "AuxLogits.conv1.conv.weight" } && model.stateDict().contains { $0.name == "AuxLogits.fc.bias" })
        let train = withNoGrad { model.train().forwardWithAuxiliary(Classic.input(2, 299)) }
        #expect(train.logits.shape == [2, 6] && train.auxLogits?.shape == [2, 6])
        let eval = withNoGrad { model.eval().forwardWithAuxiliary(Classic.input(2, 75)) }
        #expect(eval.auxLogits == nil && eval.logits.shape == [2, 6])
        #expect(!InceptionV3(numClasses: 6, auxLogits: false).stateDict().contains { $0.name.hasPrefix("AuxLogits") })
    }

    // MARK: transform_input

    /// torchvision's `_transform_input`: channel c ↦ x · (std_c / 0.5) + (mean_c − 0.5) / 0.5 before the stem.
    @Test func transformInputRenormalisesAsTorchvision() throws {
        let x = Classic.input(2, 32)
        let (mean, std): ([Double], [Double]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        let manual = Tensor.cat((0..<3).map { c in
            x.narrow(dim: 1, start: c, length: 1) * Float(std[c] / 0.5) + Float((mean[c] - 0.5) / 0.5)
        }, dim: 1)
        let google = Classic.withFormulaWeights(GoogLeNet(numClasses: 4)).eval()
        let plainOutput = withNoGrad { google(manual) }.scalars
        google.transformInput = true
        #expect(withNoGrad { google(x) }.scalars == plainOutput)
        #expect(withNoGrad { google(x) }.scalars != withNoGrad { google(manual) }.scalars)

        let inception = Classic.withFormulaWeights(InceptionV3(numClasses: 4, transformInput: true)).eval()
        let transformed = withNoGrad { inception(Classic.input(1, 75)) }.scalars
        inception.transformInput = false
        let y = Classic.input(1, 75)
        let yManual = Tensor.cat((0..<3).map { c in
            y.narrow(dim: 1, start: c, length: 1) * Float(std[c] / 0.5) + Float((mean[c] - 0.5) / 0.5)
        }, dim: 1)
        #expect(withNoGrad { inception(yManual) }.scalars == transformed)
        #expect(GoogLeNet().transformInput == false && InceptionV3().transformInput == false)
    }

    // MARK: Initialisation

    @Test func truncatedNormalFollowsTorchsRecipe() {
        var g = TorchGenerator(seed: 3)
        let t = Init.truncatedNormal([20_000], mean: 0.5, std: 1, a: -0.5, b: 1, generator: &g)
        let v = t.scalars
        #expect(v.allSatisfy { $0 >= -0.5 && $0 <= 1 })
        // The mean of N(0.5, 1) cut to [−0.5, 1]: μ + σ·(φ(α) − φ(β))/(Φ(β) − Φ(α)), α = −1, β = 0.5.
        let phi = { (x: Double) in exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        let cdf = { (x: Double) in (1 + erf(x / 2.0.squareRoot())) / 2 }
        let expected = 0.5 + (phi(-1) - phi(0.5)) / (cdf(0.5) - cdf(-1))
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        #expect(abs(mean - expected) < 0.01, "mean \(mean), expected \(expected)")
        // Wide bounds (torchvision's ±2 at std 0.01) leave the normal: std 0.01.
        let wide = Init.truncatedNormal([20_000], std: 0.01, a: -2, b: 2, generator: &g)
        #expect(abs(Classic.std(wide) - 0.01) < 0.0003)
    }

    @Test func initialisationFollowsTorchvision() throws {
        let squeeze = try #require(try Architectures.build("squeezenet1_1") as? SqueezeNet)
        let final = try #require(squeeze.classifier[1] as? Conv2d)
        #expect(abs(Classic.std(final.weight.value) - 0.01) < 0.0005)
        #expect(final.bias!.value.scalars.allSatisfy { $0 == 0 })
        let first = try #require(squeeze.features[0] as? Conv2d)  // kaiming_uniform: bound √6/√fan_in
        let bound = Float((6.0 / 27.0).squareRoot())
        #expect(first.weight.value.scalars.allSatisfy { abs($0) <= bound } && first.weight.value.scalars.contains { abs($0) > 0.9 * bound })

        let dense = Classic.smallDenseNet(numClasses: 3)
        #expect(abs(Classic.std(Classic.tensor(dense, "features.conv0.weight")) - (2.0 / 147).squareRoot()) < 0.02)
        #expect(dense.classifier.bias!.value.scalars.allSatisfy { $0 == 0 })

        let google = GoogLeNet()
        #expect(abs(Classic.std(google.fc.weight.value) - 0.01) < 0.0003)
        #expect(abs(Classic.std(Classic.tensor(google, "conv1.conv.weight")) - 0.01) < 0.0005)

        let inception = InceptionV3()
        #expect(abs(Classic.std(inception.fc.weight.value) - 0.1) < 0.002)
        #expect(abs(Classic.std(Classic.tensor(inception, "AuxLogits.fc.weight")) - 0.001) < 0.00005)
        // torchvision sets stddev 0.01 on AuxLogits.conv1 (a BasicConv2d), which its loop never
        // reads: the conv inside gets 0.1 like every other.
        #expect(abs(Classic.std(Classic.tensor(inception, "AuxLogits.conv1.conv.weight")) - 0.1) < 0.002)
    }

    // MARK: Loading

    @Test func denseNetLoadsTorchvisionsLegacyKeys() throws {
        let source = Classic.smallDenseNet(numClasses: 3)
        let legacy = Classic.legacyDenseNetStateDict(source)
        #expect(legacy["features.denseblock1.denselayer1.norm.1.weight"] != nil)
        #expect(legacy["features.denseblock4.denselayer2.conv.2.weight"] != nil)
        #expect(legacy["features.transition1.norm.weight"] != nil)  // transitions keep their names
        // A plain strict load refuses them; the zoo loaders upgrade them first.
        #expect(throws: StateDictError.self) { try Classic.smallDenseNet(numClasses: 3).loadStateDict(legacy) }

        let target = Classic.smallDenseNet(numClasses: 3)
        try loadStrictly(target, architecture: "densenet (small)", numClasses: 3, stateDict: legacy, path: "<legacy>")
        let expected = source.stateDict()
        let loaded = target.stateDict()
        #expect(loaded.map(\.name) == expected.map(\.name))
        for (a, e) in zip(loaded, expected) { #expect(a.tensor.scalars == e.tensor.scalars, "\(a.name)") }
        let renamed = source.upgradingLegacyKeys(StateDict([("features.denseblock2.denselayer11.relu.2.running_mean", Tensor.zeros([1])),
                                                            ("features.transition2.conv.weight", Tensor.zeros([1]))]))
        #expect(renamed.keys == ["features.denseblock2.denselayer11.relu2.running_mean", "features.transition2.conv.weight"])
        #expect(source.upgradingLegacyKeys(source.checkpointStateDict()).keys == source.checkpointStateDict().keys)

        // Fine-tuning from legacy weights keeps everything but the head.
        let finetuned = Classic.smallDenseNet(numClasses: 2)
        let report = try FineTuning.loadPretrained(legacy, into: finetuned)
        #expect(report.reinitializedKeys == ["classifier.weight", "classifier.bias"])
        #expect(Classic.tensor(finetuned, "features.conv0.weight").scalars == Classic.tensor(source, "features.conv0.weight").scalars)
    }

    /// The zoo path end to end: a densenet121 file with the published keys through `LoadedModel.load`.
    @Test func legacyDenseNet121FileLoadsLikeTheModel() throws {
        let source = try TorchGenerator.withSeededDefault(5) { try Architectures.build("densenet121") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("classic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("densenet121-legacy.safetensors").path
        try saveSafetensors(Classic.legacyDenseNetStateDict(source), to: path)
        let loaded = try LoadedModel.load(model: "densenet121", weights: path)
        #expect(loaded.architecture == "densenet121" && loaded.classNames.count == 1000)
        let x = Classic.input(1, 64)
        let expected = withNoGrad { source.eval()(x) }.scalars
        let actual = withNoGrad { loaded.module(x) }.scalars
        let scale = expected.map { abs($0) }.max()!
        #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
    }

    @Test func fineTuningHeadsIncludeAuxiliaryAndConvClassifiers() throws {
        #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("googlenet", numClasses: 3))
                == ["aux1.fc2.weight", "aux1.fc2.bias", "aux2.fc2.weight", "aux2.fc2.bias", "fc.weight", "fc.bias"])
        #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("inception_v3", numClasses: 3))
                == ["AuxLogits.fc.weight", "AuxLogits.fc.bias", "fc.weight", "fc.bias"])
        #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("squeezenet1_0", numClasses: 3))
                == ["classifier.1.weight", "classifier.1.bias"])
        #expect(FineTuning.classifierHeadKeys(of: try Architectures.build("shufflenet_v2_x0_5", numClasses: 3)) == ["fc.weight", "fc.bias"])
        #expect(FineTuning.classifierHeadKeys(of: Classic.smallDenseNet(numClasses: 3)) == ["classifier.weight", "classifier.bias"])

        let pretrained = try Architectures.build("googlenet", numClasses: 1000)
        let model = try Architectures.build("googlenet", numClasses: 3)
        let report = try FineTuning.loadPretrained(pretrained.checkpointStateDict(), into: model)
        #expect(report.reinitializedKeys.count == 6)
        #expect(inferredClassCount(try Architectures.build("squeezenet1_1", numClasses: 7).checkpointStateDict()) == 7)
    }
}

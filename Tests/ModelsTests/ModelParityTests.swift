// Architectures against torchvision: the state-dict key/shape list of every builder, and the logits
// of full-size models whose weights follow a closed formula (see Scripts/make_model_fixtures.py).

import Foundation
import Testing
import Models
import NN
import Tensors

enum ModelFixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")!
    }

    /// The fixture files named `<stem>.json` or `<stem>-<family>.json` (one per model family, so
    /// each family's script section writes its own file).
    static func urls(_ stem: String) -> [URL] {
        let directory = url("architectures").deletingLastPathComponent()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0 == "\(stem).json" || ($0.hasPrefix("\(stem)-") && $0.hasSuffix(".json")) }
            .sorted().map { directory.appendingPathComponent($0) }
    }

    /// name → [(key, shape)] in torchvision's state_dict order.
    static let architectures: [String: [(String, [Int])]] = {
        var all: [String: [(String, [Int])]] = [:]
        for file in urls("architectures") {
            let raw = try! JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: [[Any]]]
            for (name, entries) in raw {
                precondition(all[name] == nil, "\(name) appears in two architecture fixtures")
                all[name] = entries.map { ($0[0] as! String, ($0[1] as! [NSNumber]).map(\.intValue)) }
            }
        }
        return all
    }()

    /// The script's weight formulas: "sin" (the original) and "chirp" (pseudo-random signs and a
    /// gain on rank ≥ 2 weights, so the logits depend on the input, not only on the biases).
    enum Formula: Sendable, Equatable, CustomStringConvertible {
        case sin, chirp(gain: Double)
        init(name: String?, gain: Double?) {
            self = name == "chirp" ? .chirp(gain: gain ?? 1) : .sin
        }
        var description: String {
            switch self { case .sin: "sin"; case .chirp(let gain): "chirp, gain \(gain)" }
        }
    }

    struct LogitCase: Decodable, Sendable, CustomStringConvertible {
        let model: String
        let inputSize: Int
        let logits: [Float]
        /// The case's own gain, when the file's cases have their own.
        let gain: Double?
        /// The formula: the file's, with the case's gain when it has one.
        var weights: Formula = .sin
        var description: String { weights == .sin ? model : "\(model) (\(weights))" }
        enum CodingKeys: String, CodingKey { case model, inputSize, logits, gain }
    }

    static let logitCases: [LogitCase] = {
        struct File: Decodable { let weights: String?; let gain: Double?; let cases: [LogitCase] }
        return urls("logits").flatMap { url -> [LogitCase] in
            let file = try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
            return file.cases.map { var c = $0; c.weights = Formula(name: file.weights, gain: c.gain ?? file.gain); return c }
        }
    }()

    /// `name` in eval mode with the formula weights (the script's `formula_model_and_input`).
    static func formulaModel(_ name: String, weights: Formula = .sin) throws -> Module {
        let model = try Architectures.build(name)
        try model.loadStateDict(model.stateDict().enumerated().map { k, entry in
            (entry.name, formulaTensor(key: entry.name, shape: entry.tensor.shape, index: k, weights: weights))
        })
        return model.eval()
    }

    /// The script's formula batch: 2 images of size × size, element i = sin(0.1·i).
    static func formulaInput(_ size: Int) -> Tensor {
        let n = 2 * 3 * size * size
        return Tensor(shape: [2, 3, size, size], data: (0..<n).map { Float(sin(0.1 * Double($0))) })
    }

    /// The fixture script's weight formula for the k-th state-dict entry.
    static func formulaTensor(key: String, shape: [Int], index k: Int, weights: Formula = .sin) -> Tensor {
        let n = Shape.count(shape)
        let leaf = key.split(separator: ".").last.map(String.init) ?? key
        var values = [Float](repeating: 0, count: n)
        let fanIn = shape.count >= 2 ? shape.dropFirst(1).reduce(1, *) : 1
        let chirp: Bool, gain: Double
        switch weights { case .sin: (chirp, gain) = (false, 1); case .chirp(let g): (chirp, gain) = (true, g) }
        for i in 0..<n {
            let phase = chirp ? Double((i * i + 3 * i) % 10007) : Double(i)
            let s = sin(0.37 * phase + 1.3 * Double(k))
            let v: Double
            if leaf == "num_batches_tracked" { v = 0 }
            else if shape.count >= 2 { v = gain * s / Double(fanIn).squareRoot() }
            else if leaf == "weight" { v = 1 + 0.1 * s }
            else if leaf == "running_var" { v = 0.5 + 0.5 * s * s }
            else { v = 0.1 * s }
            values[i] = Float(v)
        }
        return Tensor(shape: shape, data: values)
    }
}

@Suite struct ModelParityTests {
    /// Every builder that mirrors a torchvision one (small_cnn is checked in TrainingTests). Built
    /// without the random draws (only shapes are read: regnet_y_128gf has 645 M parameters).
    @Test(arguments: Architectures.names.filter { $0 != "small_cnn" })
    func stateDictKeysAndShapesMatchTorchvision(_ name: String) throws {
        let expected = try #require(ModelFixtures.architectures[name], "no fixture for \(name)")
        let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(name) }
        let actual = model.stateDict().map { ($0.name, $0.tensor.shape) }
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) {
            #expect(a.0 == e.0 && a.1 == e.1, "\(name): \(a.0) \(a.1) vs torchvision \(e.0) \(e.1)")
        }
    }

    /// BN as a layer (best ISA path), and BN folded into fused conv kernels on every ISA path the
    /// machine has (parity must hold on each).
    struct Variant: Sendable, CustomStringConvertible {
        var foldBatchNorm: Bool, isa: KernelISA
        var description: String { "\(foldBatchNorm ? "folded" : "BN layers") on \(isa)" }
    }
    static let variants = [Variant(foldBatchNorm: false, isa: .best)]
        + KernelISA.supported.map { Variant(foldBatchNorm: true, isa: $0) }

    @Test(arguments: ModelFixtures.logitCases, variants)
    func logitsMatchTorchvisionWithFormulaWeights(_ c: ModelFixtures.LogitCase, variant: Variant) throws {
        try KernelISA.$override.withValue(variant.isa) { try checkLogits(c, foldBatchNorm: variant.foldBatchNorm) }
    }

    func checkLogits(_ c: ModelFixtures.LogitCase, foldBatchNorm: Bool) throws {
        let model = try ModelFixtures.formulaModel(c.model, weights: c.weights)
        if foldBatchNorm { model.foldBatchNormsForInference() }
        let y = withNoGrad { model(ModelFixtures.formulaInput(c.inputSize)) }
        #expect(y.shape == [2, 1000])
        let scale = c.logits.map { Swift.abs($0) }.max()!
        var worst: Float = 0
        for (a, e) in zip(y.scalars, c.logits) { worst = Swift.max(worst, Swift.abs(a - e)) }
        #expect(worst <= 1e-4 * scale, "\(c.model) (BN folded: \(foldBatchNorm), \(KernelISA.active)): max |Δ| \(worst) against logit scale \(scale)")
    }
}

// Intermediate outputs by torchvision's node names against create_feature_extractor with the
// fixture script's formula weights (Scripts/make_model_fixtures.py features): the stage outputs of
// one builder of every family (64 values spread over each map, and its sum), plain and BN-folded.

import Foundation
import Testing
import Models
import NN
import Tensors

@Suite struct FeatureExtractorTests {
    struct FeatureCase: Decodable, CustomStringConvertible {
        let model: String, inputSize: Int, node: String, name: String
        let shape: [Int], indices: [Int], values: [Float], sum: Double, absSum: Double
        var description: String { "\(model) \(node)" }
    }

    static let cases: [FeatureCase] = {
        struct File: Decodable { let cases: [FeatureCase] }
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: ModelFixtures.url("features"))).cases
    }()

    @Test(arguments: [false, true])
    func stageOutputsMatchTorchvision(foldBatchNorm: Bool) throws {
        for model in Set(Self.cases.map(\.model)).sorted() {
            let cases = Self.cases.filter { $0.model == model }
            let network = try ModelFixtures.formulaModel(model)
            if foldBatchNorm { network.foldBatchNormsForInference() }
            let extractor = try FeatureExtractor(network, returnNodes: cases.map { ($0.node, $0.name) })
            let outputs = try withNoGrad { try extractor(ModelFixtures.formulaInput(cases[0].inputSize)) }
            #expect(outputs.map(\.name) == cases.map(\.name))
            for (c, output) in zip(cases, outputs) {
                #expect(output.tensor.shape == c.shape, "\(c)")
                let values = output.tensor.scalars
                let scale = c.values.map { Swift.abs($0) }.max()!
                let worst = zip(c.indices, c.values).map { Swift.abs(values[$0] - $1) }.max()!
                #expect(worst <= 1e-4 * scale, "\(c) (folded: \(foldBatchNorm)): max |Δ| \(worst), scale \(scale)")
                let sum = values.reduce(0.0) { $0 + Double($1) }
                #expect(Swift.abs(sum - c.sum) <= 1e-4 * c.absSum, "\(c): sum \(sum) vs \(c.sum)")
            }
        }
    }

    @Test func unknownAndFusedNodesAreNamedErrors() throws {
        let model = try Architectures.build("resnet18").eval()
        #expect(throws: FeatureExtractor.NodeError.self) { try FeatureExtractor(model, returnNodes: ["layer5"]) }
        // Once BatchNorm is folded, layer1.0.bn1 runs inside the fused conv kernel, so the forward
        // pass never produces it.
        model.foldBatchNormsForInference()
        let extractor = try FeatureExtractor(model, returnNodes: ["layer1", "layer1.0.bn1"])
        do {
            _ = try withNoGrad { try extractor(ModelFixtures.formulaInput(32)) }
            Issue.record("a node the forward pass does not produce must be an error")
        } catch let error as FeatureExtractor.NodeError {
            #expect(error.description.contains("layer1.0.bn1"))
            #expect(!error.description.contains("layer1,"))
        }
        #expect(FeatureExtractor.nodeNames(of: model).prefix(3) == ["conv1", "bn1", "relu"])
    }

    /// A module called twice: torch.fx names its second output `<path>_1`.
    final class TwiceReLU: Module, @unchecked Sendable {
        let relu = ReLU()
        override init() { super.init(); registerModule("relu", relu) }
        override func forward(_ x: Tensor) -> Tensor { relu(relu(x) - 1) }
    }

    @Test func repeatedCallsGetTorchFXSuffixes() throws {
        let extractor = try FeatureExtractor(TwiceReLU(), returnNodes: ["relu", "relu_1"])
        let outputs = try extractor(Tensor(shape: [3], data: [-1, 0.5, 3]))
        #expect(outputs[0].tensor.scalars == [0, 0.5, 3])
        #expect(outputs[1].tensor.scalars == [0, 0, 2])
        let thrice = try FeatureExtractor(TwiceReLU(), returnNodes: ["relu_2"])
        #expect(throws: FeatureExtractor.NodeError.self) { _ = try thrice(Tensor(shape: [1], data: [1])) }
    }
}

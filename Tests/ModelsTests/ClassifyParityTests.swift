// `vision classify --model NAME --weights FILE` end to end against torchvision's preset + model, for
// one model of each family (Scripts/make_model_fixtures.py classify): the fixture script's "chirp"
// formula weights (the classifier scaled by a power of two so the softmax is neither flat nor
// one-hot) saved to a plain .safetensors, loaded as `vision classify` loads it (the zoo preset of
// NAME, BN folded, inference plans), on the sample photos: top-5 indices equal, probabilities within
// 1e-4. The fixture script checks that ImageNet's other preset would move a probability by 1e-3 or
// more, so a wrong resize or interpolation (efficientnet_b0's is bicubic) fails here. googlenet and
// inception_v3 are built by torchvision with transform_input, as its builders do for the zoo's
// weights, and loaded here by zoo name from a scratch cache, which must turn it on (the script
// checks that without it a probability moves by 1e-3 or more).

import Foundation
import Testing
import SwiftVision
import TestSupport

@Suite struct ClassifyParityTests {
    struct Top: Decodable { let image: String; let indices: [Int]; let probabilities: [Double] }
    struct Case: Decodable, Sendable, CustomStringConvertible {
        let model: String, weights: String, gain: Double
        let resizeSize: Int, cropSize: Int, interpolation: String, classifierScaleLog2: Int
        let transformInput: Bool
        let top: [Top]
        var description: String { model }
    }

    static let cases: [Case] = {
        struct File: Decodable { let cases: [Case] }
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: ModelFixtures.url("classify"))).cases
    }()

    /// The fixture's weights for `c.model`: formula tensors, the last two (the classifier's weight
    /// and bias) times 2^classifierScaleLog2 (exact).
    static func stateDict(_ c: Case) throws -> StateDict {
        let model = try Init.$skipsRandomDraws.withValue(true) { try Architectures.build(c.model) }
        let entries = model.stateDict()
        let scale = Float(pow(2.0, Double(c.classifierScaleLog2)))
        return StateDict(entries.enumerated().map { k, entry in
            let t = ModelFixtures.formulaTensor(key: entry.name, shape: entry.tensor.shape, index: k,
                                                weights: .chirp(gain: c.gain))
            return (entry.name, k >= entries.count - 2 ? t * scale : t)
        })
    }

    @Test(arguments: cases)
    func classifyMatchesTorchvisionsPresetAndModel(_ c: Case) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vision-classify-\(UUID().uuidString)").path
        let cache = ZooCache(root: directory)
        try cache.createDirectories()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loaded: LoadedModel
        if c.transformInput {
            // The zoo's file (safetensors bytes under its .pth name: the loader reads the content).
            let entry = try #require(Zoo.entry(named: c.model))
            try saveSafetensors(try Self.stateDict(c), metadata: [:], to: cache.path(for: entry))
            loaded = try LoadedModel.load(weights: c.model, cache: cache, inferenceOnly: true)
            #expect((loaded.module as? InputTransforming)?.transformInput == true)
        } else {
            let path = directory + "/\(c.model).safetensors"
            try saveSafetensors(try Self.stateDict(c), metadata: [:], to: path)
            loaded = try LoadedModel.load(model: c.model, weights: path, cache: cache, inferenceOnly: true)
        }
        #expect(loaded.zooEntry?.weights == c.weights)
        #expect(loaded.preset.resizeSize == c.resizeSize && loaded.preset.cropSize == c.cropSize
                && loaded.preset.interpolation.rawValue == c.interpolation, "\(c.model): \(loaded.preset)")
        let inputs = try c.top.map { try loaded.preprocess(Image(contentsOf: repositoryRoot.appendingPathComponent($0.image).path,
                                                                 mode: loaded.imageMode)) }
        let probabilities = loaded.probabilities(inputs)
        for (row, top) in c.top.enumerated() {
            let p = Array(probabilities.scalars[(row * 1000)..<((row + 1) * 1000)])
            let order = Array(p.indices.sorted { p[$0] > p[$1] }.prefix(5))
            #expect(order == top.indices, "\(c.model) \(top.image): top-5 \(order) vs torchvision \(top.indices)")
            let worst = zip(top.indices, top.probabilities).map { Swift.abs(Double(p[$0]) - $1) }.max()!
            #expect(worst <= 1e-4, "\(c.model) \(top.image): max |Δp| \(worst)")
        }
    }
}

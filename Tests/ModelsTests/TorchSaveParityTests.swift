// A complete torchvision resnet18 saved by torch.save, in the zip and the legacy format (every
// tensor a strided view into one shared storage, so the file is small; see
// Scripts/make_pth_fixtures.py): its logits, and `vision classify --json` on the sample photos,
// against what torchvision computed from the same file.

import Foundation
import Testing
import SwiftVision

enum TorchSaveFixture {
    struct Top: Decodable { let image: String; let indices: [Int]; let probabilities: [Double] }
    struct File: Decodable { let inputSize: Int; let logits: [Float]; let classify: [Top] }

    static let expected: File = {
        let url = Bundle.module.url(forResource: "resnet18-views", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    static func path(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: "pth", subdirectory: "Fixtures")!.path
    }
}

@Suite struct TorchSaveParityTests {
    @Test(arguments: ["resnet18-views", "resnet18-views-legacy"], [false, true])
    func logitsEqualTorchvision(_ file: String, foldBatchNorm: Bool) throws {
        let state = try loadCheckpoint(TorchSaveFixture.path(file))
        #expect(state.count == 122)  // 62 params + 60 BN buffers (running stats, num_batches_tracked)
        let model = try Architectures.build("resnet18")
        try model.loadStateDict(state)
        model.eval()
        if foldBatchNorm { model.foldBatchNormsForInference() }
        let size = TorchSaveFixture.expected.inputSize
        let n = 2 * 3 * size * size
        let x = Tensor(shape: [2, 3, size, size], data: (0..<n).map { Float(sin(0.1 * Double($0))) })
        let y = withNoGrad { model(x) }
        let expected = TorchSaveFixture.expected.logits
        #expect(y.shape == [2, 1000])
        let scale = expected.map { Swift.abs($0) }.max()!
        var worst: Float = 0
        for (a, e) in zip(y.scalars, expected) { worst = Swift.max(worst, Swift.abs(a - e)) }
        #expect(worst <= 1e-4 * scale, "\(file): worst |Δ| \(worst) against logit scale \(scale)")
    }

    @Test(arguments: ["resnet18-views", "resnet18-views-legacy"])
    func classifyJSONEqualsTorchvisionPreset(_ file: String) throws {
        let images = TorchSaveFixture.expected.classify.map(\.image)
        let result = try VisionProcess.run(["classify", "--model", "resnet18", "--weights", TorchSaveFixture.path(file),
                                            "--json", "--topk", "5"] + images, visionHome: CLIFixture.home("pth"))
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try CLIFixture.parseLines(result.stdout)
        #expect(objects.count == images.count)
        for (object, expected) in zip(objects, TorchSaveFixture.expected.classify) {
            #expect(object["image"] as? String == expected.image)
            let top = try #require(object["top"] as? [[String: Any]])
            #expect(top.compactMap { $0["index"] as? Int } == expected.indices, "\(expected.image)")
            let probabilities = top.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }
            #expect(probabilities.count == 5)
            for (p, e) in zip(probabilities, expected.probabilities) {
                #expect(Swift.abs(p - e) <= 1e-4, "\(expected.image): \(p) vs torchvision \(e)")
            }
        }
    }
}

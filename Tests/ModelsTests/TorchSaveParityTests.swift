// A complete torchvision resnet18 saved by torch.save, in the zip and the legacy format (every
// tensor a strided view into one shared storage, so the file is small; see
// Scripts/make_pth_fixtures.py): its logits against what torchvision computed from the same file.
// (`vision classify --json` on these files: CLITests/CLITorchSaveTests.)

import Foundation
import Testing
import SwiftVision

enum TorchSaveFixture {
    struct File: Decodable { let inputSize: Int; let logits: [Float] }

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
}

// The README's library example, run as written (with a checkpoint saved here instead of a zoo
// download), so the first thing a user copies keeps compiling and working.

import Foundation
import Testing
import SwiftVision

@Suite struct ReadmeExampleTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func readmeExampleRuns() throws {
        var g = RandomGenerator(seed: 0)
        let w = Tensor.normal([3, 4], generator: &g).requiringGrad()
        let x = Tensor.uniform([8, 4], generator: &g)
        try Tensor.linear(x, weight: w).relu().pow(2).mean().backward()
        #expect(w.grad!.shape == [3, 4])

        // Save a resnet18 as safetensors and load it back the way the README loads a .pth.
        let saved = try Architectures.build("resnet18")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("readme-resnet18-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try saveSafetensors(saved.checkpointStateDict(), to: path)
        let model = try Architectures.build("resnet18")
        try model.loadStateDict(loadCheckpoint(path))
        model.eval()
        let photo = Self.repositoryRoot.appendingPathComponent("Datasets/samples/chelsea.jpg").path
        let image = try Image(contentsOf: photo, mode: .rgb)
        let batch = ImageClassificationPreset(cropSize: 224, resizeSize: 256)(image).unsqueeze(0)
        let probabilities = withNoGrad { model(batch).softmax(dim: 1) }
        let loaded = try LoadedModel.load(model: "resnet18", weights: path)
        let top = loaded.probabilities([loaded.preprocess(image)])
        #expect(top.shape == [1, 1000] && loaded.label(281) == "tabby")
        #expect(zip(top.scalars, probabilities.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
        #expect(probabilities.shape == [1, 1000])
        #expect(Swift.abs(probabilities.sum().item() - 1) < 1e-4)
        let reference = withNoGrad { saved.eval()(batch).softmax(dim: 1) }
        #expect(probabilities.scalars == reference.scalars)

        let net = Sequential(Conv2d(1, 8, kernelSize: 3, padding: 1), BatchNorm2d(8), ReLU(),
                             AdaptiveAvgPool2d(1), Flatten(), Linear(8, 10))
        let optimizer = SGD(net.parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4)
        let scheduler = CosineAnnealingLR(optimizer, tMax: 10)
        let before = net.parameters()[0].value.scalars
        let loss = crossEntropy(net(Tensor.uniform([4, 1, 28, 28], generator: &g)), [0, 1, 2, 3], labelSmoothing: 0.1)
        try loss.backward(); optimizer.step(); optimizer.zeroGrad(); scheduler.step()
        #expect(net.parameters()[0].value.scalars != before)
        #expect(optimizer.lr < 0.1)
    }
}

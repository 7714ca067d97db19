// End to end: a tiny CNN learns a small separable synthetic set (4 classes of 8×8 images, each
// class with one bright quadrant plus noise) with cross-entropy and Adam / SGD.

import Testing
import NN
import Tensors

/// `perClass` noisy images per class; class k has its k-th quadrant bright.
func quadrantDataset(perClass: Int, seed: UInt64) -> (images: Tensor, labels: [Int]) {
    var rng = RandomGenerator(seed: seed)
    var pixels: [Float] = []
    var labels: [Int] = []
    for i in 0..<(4 * perClass) {
        let k = i % 4
        let noise = Tensor.normal([64], std: 0.3, generator: &rng).scalars
        for y in 0..<8 {
            for x in 0..<8 {
                let quadrant = (y / 4) * 2 + x / 4
                pixels.append((quadrant == k ? 1 : 0) + noise[y * 8 + x])
            }
        }
        labels.append(k)
    }
    return (Tensor(shape: [4 * perClass, 1, 8, 8], data: pixels), labels)
}

func accuracy(_ logits: Tensor, _ labels: [Int]) -> Float {
    let predicted = logits.argmax(dim: 1).scalars
    return Float(zip(predicted, labels).filter { Int($0) == $1 }.count) / Float(labels.count)
}

@Suite struct TrainingTests {
    @Test(arguments: ["adam", "sgd"])
    func tinyCNNLearnsQuadrants(_ optimizerName: String) throws {
        let train = quadrantDataset(perClass: 8, seed: 11), test = quadrantDataset(perClass: 8, seed: 12)
        let model = Sequential(Conv2d(1, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 2),
                               Flatten(), Linear(64, 4))
        let optimizer: any Optimizer = optimizerName == "adam"
            ? Adam(model.parameters(), lr: 0.01)
            : SGD(model.parameters(), lr: 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        var losses: [Float] = []
        for _ in 0..<40 {
            optimizer.zeroGrad()
            let loss = crossEntropy(model(train.images), train.labels)
            try loss.backward()
            optimizer.step()
            losses.append(loss.item())
        }
        #expect(losses.last! < 0.25 * losses.first!, "loss \(losses.first!) -> \(losses.last!)")
        #expect(losses.suffix(10).reduce(0, +) < losses.prefix(10).reduce(0, +))
        model.eval()
        let (trainAcc, testAcc) = withNoGrad { (accuracy(model(train.images), train.labels), accuracy(model(test.images), test.labels)) }
        #expect(trainAcc == 1, "train accuracy \(trainAcc)")
        #expect(testAcc == 1, "test accuracy \(testAcc)")
    }
}

// AlexNet with torchvision's structure and keys (the "one weird trick" variant torchvision ships).

import NN
import Tensors

/// torchvision's `AlexNet`.
public final class AlexNet: Module, @unchecked Sendable {
    public let features: Sequential
    let avgpool: AdaptiveAvgPool2d
    public let classifier: Sequential

    public init(numClasses: Int = 1000, dropout: Float = 0.5) {
        features = Sequential(
            Conv2d(3, 64, kernelSize: 11, stride: 4, padding: 2), ReLU(inplace: true), MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(64, 192, kernelSize: 5, padding: 2), ReLU(inplace: true), MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(192, 384, kernelSize: 3, padding: 1), ReLU(inplace: true),
            Conv2d(384, 256, kernelSize: 3, padding: 1), ReLU(inplace: true),
            Conv2d(256, 256, kernelSize: 3, padding: 1), ReLU(inplace: true), MaxPool2d(kernelSize: 3, stride: 2))
        avgpool = AdaptiveAvgPool2d(6)
        classifier = Sequential(
            Dropout(p: dropout), Linear(256 * 6 * 6, 4096), ReLU(inplace: true),
            Dropout(p: dropout), Linear(4096, 4096), ReLU(inplace: true), Linear(4096, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("avgpool", avgpool)
        registerModule("classifier", classifier)
    }

    public override var summary: String { "AlexNet" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(avgpool(features(x)).flatten(startDim: 1))
    }
}

// VGG 11/13/16/19 with and without batch norm, torchvision's structure and keys
// (`features.N`, `classifier.N`).

import NN
import Tensors
import Traps

/// torchvision's `VGG`.
public final class VGG: Module, @unchecked Sendable {
    /// torchvision's configurations "A" (11), "B" (13), "D" (16), "E" (19); 0 marks a max pool.
    public static let configurations: [Int: [Int]] = [
        11: [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        13: [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        16: [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        19: [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    ]

    public let features: Sequential
    let avgpool: AdaptiveAvgPool2d
    /// The classifier: Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear.
    public let classifier: Sequential

    /// VGG-`depth` (11, 13, 16 or 19), optionally with batch norm after every conv.
    public init(depth: Int, batchNorm: Bool = false, numClasses: Int = 1000, dropout: Float = 0.5) {
        guard let config = Self.configurations[depth] else { trap("VGG depth must be 11, 13, 16 or 19, got \(depth)") }
        var layers: [Module] = []
        var channels = 3
        for v in config {
            if v == 0 {
                layers.append(MaxPool2d(kernelSize: 2, stride: 2))
            } else {
                layers.append(Conv2d(channels, v, kernelSize: 3, padding: 1))
                if batchNorm { layers.append(BatchNorm2d(v)) }
                layers.append(ReLU(inplace: true))
                channels = v
            }
        }
        features = Sequential(layers)
        avgpool = AdaptiveAvgPool2d(7)
        classifier = Sequential(Linear(512 * 7 * 7, 4096), ReLU(inplace: true), Dropout(p: dropout),
                                Linear(4096, 4096), ReLU(inplace: true), Dropout(p: dropout), Linear(4096, numClasses))
        super.init()
        registerModule("features", features)
        registerModule("avgpool", avgpool)
        registerModule("classifier", classifier)
        // torchvision: conv kaiming_normal(fan_out, relu), bias 0; BN 1/0; linear normal(0, 0.01), bias 0.
        initializeConvsAndLinearsLikeTorchvision(convNonlinearity: "relu")
    }

    public override var summary: String { "VGG" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return classifier(avgpool(features(x)).flatten(startDim: 1))
    }
}

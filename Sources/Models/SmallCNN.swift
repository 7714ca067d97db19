// The small CNN of the Fashion-MNIST baseline (/work/shared/bench/fashion_torch.py), for 28×28
// images. PyTorch defines it as an `nn.Sequential`, so its state-dict keys are the layer indices:
//
//   0 Conv2d(C, 32, 3)   1 ReLU   2 MaxPool2d(2)      // (N,C,28,28) -> (N,32,26,26) -> (N,32,13,13)
//   3 Conv2d(32, 64, 3)  4 ReLU   5 MaxPool2d(2)      // -> (N,64,11,11) -> (N,64,5,5)
//   6 Flatten            7 Linear(1600, 128)  8 ReLU  9 Linear(128, numClasses)
//
// It is a Module of its own (not a `Sequential`) only to check its input shape with a clear
// message; its children are registered under "0" ... "9", so keys read `0.weight`, `9.bias`.

import NN
import Tensors
import Traps

/// The Fashion-MNIST baseline CNN with PyTorch's `nn.Sequential` key names (`0.weight`, `3.weight`,
/// `7.weight`, `9.weight`), for (N, C, 28, 28) inputs. Layers use PyTorch's default initialisation.
public final class SmallCNN: Module, @unchecked Sendable {
    /// Side of the square input images the first Linear layer is sized for.
    public static let imageSize = 28
    /// Number of input channels (1 for Fashion-MNIST).
    public let inputChannels: Int
    /// Number of output classes.
    public let numClasses: Int
    /// The ten layers, in PyTorch's order.
    public let layers: [Module]

    public init(inputChannels: Int = 1, numClasses: Int = 10) {
        trapUnless(inputChannels > 0 && numClasses > 0,
                   "SmallCNN: inputChannels (\(inputChannels)) and numClasses (\(numClasses)) must be positive")
        self.inputChannels = inputChannels
        self.numClasses = numClasses
        layers = [
            Conv2d(inputChannels, 32, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(32, 64, kernelSize: 3), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(), Linear(64 * 5 * 5, 128), ReLU(), Linear(128, numClasses),
        ]
        super.init()
        for (i, layer) in layers.enumerated() { registerModule(String(i), layer) }
    }

    public override var summary: String { "SmallCNN(in_channels=\(inputChannels), num_classes=\(numClasses))" }

    public override func forward(_ x: Tensor) -> Tensor {
        let s = Self.imageSize
        guard x.rank == 4, x.shape[1] == inputChannels, x.shape[2] == s, x.shape[3] == s else {
            inputError("expected input [N, \(inputChannels), \(s), \(s)], got \(describe(x.shape))")
        }
        return layers.reduce(x) { $1($0) }
    }
}

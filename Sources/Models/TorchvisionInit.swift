// The weight initialisation torchvision's VGG, MobileNet, MNASNet and EfficientNet constructors
// apply after building.

import NN
import Tensors

/// How torchvision's constructors initialise a linear layer's weight (the bias is always 0).
enum TorchvisionLinearInit {
    /// normal(0, std): VGG and MobileNet (std 0.01).
    case normal(std: Float)
    /// kaiming_uniform with fan out and the gain of `nonlinearity`: MNASNet (sigmoid).
    case kaimingUniformFanOut(nonlinearity: String)
    /// uniform(−1/√out, 1/√out): EfficientNet.
    case uniformInverseSqrtOutFeatures
}

extension Module {
    /// torchvision's loop over `self.modules()`: every conv's weight kaiming-normal (fan out, gain of
    /// `convNonlinearity`) and bias 0, every linear's weight as `linear` says and bias 0 (BatchNorm's
    /// 1 and 0 are already its defaults), drawing from the process-wide generator in module order.
    func initializeConvsAndLinearsLikeTorchvision(convNonlinearity: String,
                                                  linear linearInit: TorchvisionLinearInit = .normal(std: 0.01)) {
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.kaimingNormal(conv.weight.shape, fanOut: true, nonlinearity: convNonlinearity,
                                                           generator: &g)
                    conv.bias?.value = .zeros([conv.outChannels])
                } else if let linear = m as? Linear {
                    let shape = linear.weight.shape
                    switch linearInit {
                    case .normal(let std):
                        linear.weight.value = Init.normal(shape, std: std, generator: &g)
                    case .kaimingUniformFanOut(let nonlinearity):
                        linear.weight.value = Init.kaimingUniform(shape, fanOut: true, nonlinearity: nonlinearity, generator: &g)
                    case .uniformInverseSqrtOutFeatures:
                        let range = 1 / Double(linear.outFeatures).squareRoot()
                        linear.weight.value = Init.uniform(shape, low: Float(-range), high: Float(range), generator: &g)
                    }
                    linear.bias?.value = .zeros([linear.outFeatures])
                }
            }
        }
    }
}

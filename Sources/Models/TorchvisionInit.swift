// The weight initialisation torchvision's VGG and MobileNet constructors apply after building.

import NN
import Tensors

extension Module {
    /// torchvision's loop over `self.modules()`: every conv's weight kaiming-normal (fan out, gain of
    /// `convNonlinearity`) and bias 0, every linear's weight normal(0, 0.01) and bias 0 (BatchNorm's
    /// 1 and 0 are already its defaults), drawing from the process-wide generator in module order.
    func initializeConvsAndLinearsLikeTorchvision(convNonlinearity: String) {
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.kaimingNormal(conv.weight.shape, fanOut: true, nonlinearity: convNonlinearity,
                                                           generator: &g)
                    conv.bias?.value = .zeros([conv.outChannels])
                } else if let linear = m as? Linear {
                    linear.weight.value = Init.normal(linear.weight.shape, std: 0.01, generator: &g)
                    linear.bias?.value = .zeros([linear.outFeatures])
                }
            }
        }
    }
}

// torchvision's `BasicConv2d`, the unit GoogLeNet and Inception v3 are built of.

import NN
import Tensors

/// Conv (no bias) → BatchNorm2d (eps 0.001) → ReLU, under torchvision's keys `conv.weight`,
/// `bn.weight`, `bn.bias`, `bn.running_mean`, ...; one fused kernel pass once BN is folded.
public final class BasicConv2d: Module, @unchecked Sendable {
    public let conv: Conv2d, bn: BatchNorm2d

    init(_ input: Int, _ output: Int, kernelSize: (Int, Int), stride: Int = 1, padding: (Int, Int) = (0, 0)) {
        conv = Conv2d(input, output, kernelSize: kernelSize, stride: (stride, stride), padding: padding, bias: false)
        bn = BatchNorm2d(output, eps: 0.001)
        super.init()
        registerModule("conv", conv)
        registerModule("bn", bn)
    }

    convenience init(_ input: Int, _ output: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        self.init(input, output, kernelSize: (kernelSize, kernelSize), stride: stride, padding: (padding, padding))
    }

    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv, bn)] }

    public override func forward(_ x: Tensor) -> Tensor { conv.forward(x, then: bn, activation: .relu) }
}

/// A model with torchvision's `transform_input` flag (GoogLeNet, Inception v3). torchvision's
/// builders turn it on when they load the zoo's weights (ported from TensorFlow, they expect inputs
/// in [−1, 1]); `LoadedModel`, `vision train --pretrained` and the checkpoints they write do as well
/// (`ZooEntry.transformInput`, metadata `transform_input`).
public protocol InputTransforming: AnyObject {
    /// Re-normalise the input as torchvision's `transform_input` before the first layer.
    var transformInput: Bool { get set }
}

extension GoogLeNet: InputTransforming {}
extension InceptionV3: InputTransforming {}

/// A model whose training-mode forward also gives auxiliary classifiers' logits (GoogLeNet's aux1
/// and aux2, Inception v3's AuxLogits), for a loss main + w·Σ aux (`Trainer`).
public protocol AuxiliaryClassifiers: AnyObject {
    /// The main logits and, in training mode, the auxiliary heads' (none in evaluation mode or
    /// without auxiliary heads), each [N, classes].
    func logitsWithAuxiliary(_ input: Tensor) -> (logits: Tensor, auxiliary: [Tensor])
}

extension GoogLeNet: AuxiliaryClassifiers {
    /// The main logits and [aux1, aux2] (torchvision's order in its loss: aux1 then aux2).
    public func logitsWithAuxiliary(_ input: Tensor) -> (logits: Tensor, auxiliary: [Tensor]) {
        let out = forwardWithAuxiliary(input)
        return (out.logits, [out.aux1, out.aux2].compactMap { $0 })
    }
}

extension InceptionV3: AuxiliaryClassifiers {
    /// The main logits and [AuxLogits].
    public func logitsWithAuxiliary(_ input: Tensor) -> (logits: Tensor, auxiliary: [Tensor]) {
        let out = forwardWithAuxiliary(input)
        return (out.logits, [out.auxLogits].compactMap { $0 })
    }
}

/// torchvision's `_transform_input` of GoogLeNet and Inception v3 (used with their ImageNet
/// weights): re-normalises an input normalised with ImageNet's mean and std to the (x − 0.5)/0.5
/// the ported weights expect, channel c ↦ x_c · (std_c / 0.5) + (mean_c − 0.5) / 0.5.
func transformInputLikeTorchvision(_ x: Tensor) -> Tensor {
    let mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
    return Tensor.cat((0..<3).map { c in
        x.narrow(dim: 1, start: c, length: 1) * Float(std[c] / 0.5) + Float((mean[c] - 0.5) / 0.5)
    }, dim: 1)
}

extension Module {
    /// torchvision's GoogLeNet and Inception v3 initialisation: every conv and linear weight
    /// truncated normal (mean 0, `std(linear)` or `convStd`, cut at ±2), in module order; BN
    /// keeps its 1 and 0, biases their defaults.
    func initializeTruncatedNormalLikeTorchvision(convStd: Float, linearStd: (Linear) -> Float) {
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    conv.weight.value = Init.truncatedNormal(conv.weight.shape, std: convStd, a: -2, b: 2, generator: &g)
                } else if let linear = m as? Linear {
                    linear.weight.value = Init.truncatedNormal(linear.weight.shape, std: linearStd(linear), a: -2, b: 2,
                                                               generator: &g)
                }
            }
        }
    }
}

// FLOPs of a model's forward pass, for the GFLOP/s and "% of FMA peak" of `vision bench models`.
//
// What counts: 2 flops per multiply-add of the convolutions and fully connected layers,
// 2·Cout·(Cin/groups)·kh·kw·OH·OW per image for a Conv2d and 2·in·out per row for a Linear (the
// usual "GFLOPs = 2 × MACs" of papers; ResNet-18 at 224² is 3.63 GFLOP, ResNet-50 8.18, VGG-16 30.9, AlexNet 1.43).
// Bias adds, BatchNorm, activations and pooling are left out (under 1% of these models).
//
// How. Module has no forward hooks and the models' `forward` methods are plain Swift, so the
// per-layer input shapes cannot be observed from a run. Instead a shape-propagating walk over the
// module tree (`namedChildren`, no per-architecture table) computes each layer's output shape from
// its hyper-parameters, in the order the children were registered — which is the order `forward`
// runs them in for every architecture here:
//   - Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Linear, Flatten: their output shapes (a
//     Linear given [N, C, H, W] with C·H·W = in_features sees it flattened, as the models'
//     `forward` do before the classifier);
//   - other leaves (ReLU, BatchNorm2d, Dropout, Identity): shape unchanged;
//   - a container: its children in order, except one named "downsample" (torchvision's residual
//     projection in BasicBlock and Bottleneck), which sees the container's input and must produce
//     the main path's output shape.
// Each step checks what it can (a conv's input channels, a Linear's features), and the walk's final
// shape must equal the output of a real forward at the same input shape; if anything disagrees the
// count is nil rather than a wrong number.

import NN
import Tensors

/// Counts the multiply-add FLOPs of a model's forward pass.
public enum ModelFLOPs {
    /// FLOPs of `model` on an input of `inputShape` ([N, C, H, W], batch included), checked against
    /// `outputShape`, the shape of a real forward's output on that input; nil when the walk cannot
    /// follow the model or disagrees with `outputShape`.
    public static func count(_ model: Module, inputShape: [Int], outputShape: [Int]) -> Double? {
        guard let (flops, shape) = walk(model, inputShape), shape == outputShape else { return nil }
        return flops
    }

    /// FLOPs of `model` on `input`: runs one forward (without autograd) to check the walk.
    public static func count(_ model: Module, input: Tensor) -> Double? {
        let output = withNoGrad { model(input) }
        return count(model, inputShape: input.shape, outputShape: output.shape)
    }

    /// FLOPs and output shape of `module` on an input of `shape`, or nil.
    static func walk(_ module: Module, _ shape: [Int]) -> (flops: Double, shape: [Int])? {
        switch module {
        case let conv as Conv2d:
            guard shape.count == 4, shape[1] == conv.inChannels, conv.groups > 0,
                  let oh = outputSide(shape[2], conv.kernelSize.0, conv.stride.0, conv.padding.0, conv.dilation.0, ceil: false),
                  let ow = outputSide(shape[3], conv.kernelSize.1, conv.stride.1, conv.padding.1, conv.dilation.1, ceil: false)
            else { return nil }
            let macs = Double(shape[0]) * Double(conv.outChannels) * Double(conv.inChannels / conv.groups)
                * Double(conv.kernelSize.0 * conv.kernelSize.1) * Double(oh * ow)
            return (2 * macs, [shape[0], conv.outChannels, oh, ow])
        case let linear as Linear:
            var input = shape
            if input.count > 2, input.last != linear.inFeatures, input.dropFirst().reduce(1, *) == linear.inFeatures {
                input = [input[0], linear.inFeatures]  // the flatten(startDim: 1) before a classifier
            }
            guard let features = input.last, features == linear.inFeatures else { return nil }
            let rows = input.dropLast().reduce(1, *)
            return (2 * Double(rows) * Double(linear.inFeatures) * Double(linear.outFeatures),
                    input.dropLast() + [linear.outFeatures])
        case let pool as MaxPool2d:
            return pooled(shape, pool.kernelSize, pool.stride, pool.padding, pool.dilation, ceil: pool.ceilMode)
        case let pool as AvgPool2d:
            return pooled(shape, pool.kernelSize, pool.stride, pool.padding, (1, 1), ceil: pool.ceilMode)
        case let pool as AdaptiveAvgPool2d:
            guard shape.count >= 3 else { return nil }
            return (0, shape.dropLast(2) + [pool.outputSize.0, pool.outputSize.1])
        case let flatten as Flatten:
            return flattened(shape, flatten.startDim, flatten.endDim).map { (0, $0) }
        default:
            return children(of: module, shape)
        }
    }

    /// A container: children in registration order; "downsample" sees the container's input.
    private static func children(of module: Module, _ shape: [Int]) -> (flops: Double, shape: [Int])? {
        var flops = 0.0, current = shape
        var branch: Module?
        for (name, child) in module.namedChildren {
            if name == "downsample" { branch = child; continue }
            guard let step = walk(child, current) else { return nil }
            flops += step.flops
            current = step.shape
        }
        if let branch {
            guard let side = walk(branch, shape), side.shape == current else { return nil }
            flops += side.flops
        }
        return (flops, current)
    }

    /// A pooling layer's output shape (no FLOPs counted).
    private static func pooled(_ shape: [Int], _ k: (Int, Int), _ s: (Int, Int), _ p: (Int, Int), _ d: (Int, Int),
                               ceil: Bool) -> (flops: Double, shape: [Int])? {
        guard shape.count >= 3,
              let oh = outputSide(shape[shape.count - 2], k.0, s.0, p.0, d.0, ceil: ceil),
              let ow = outputSide(shape[shape.count - 1], k.1, s.1, p.1, d.1, ceil: ceil) else { return nil }
        return (0, shape.dropLast(2) + [oh, ow])
    }

    /// PyTorch's output size of a sliding window: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 (⌈⌉ with
    /// `ceil`, where the last window must start inside the input or its left padding); nil if < 1.
    static func outputSide(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, ceil: Bool) -> Int? {
        guard s > 0, k > 0, d > 0, p >= 0 else { return nil }
        let span = n + 2 * p - d * (k - 1) - 1
        guard span >= 0 else { return nil }
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil, (out - 1) * s >= n + p { out -= 1 }
        return out >= 1 ? out : nil
    }

    /// `shape` with dimensions startDim...endDim (negative: from the end) merged into one.
    static func flattened(_ shape: [Int], _ startDim: Int, _ endDim: Int) -> [Int]? {
        let rank = shape.count
        let start = startDim < 0 ? startDim + rank : startDim, end = endDim < 0 ? endDim + rank : endDim
        guard rank > 0, start >= 0, end < rank, start <= end else { return rank == 0 ? [1] : nil }
        return Array(shape[..<start]) + [shape[start...end].reduce(1, *)] + Array(shape[(end + 1)...])
    }
}

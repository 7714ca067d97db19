// Weight initialisation with PyTorch's formulas (torch.nn.init). Draws come from the process-wide
// generator (`RandomGenerator.manualSeed` seeds it) unless one is passed.

import Foundation
import Tensors

/// PyTorch's `torch.nn.init` functions.
public enum Init {
    /// Fan-in and fan-out of a weight: dims 1 and 0 times the receptive field (dims 2...).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fan in/out need a weight with at least 2 dimensions, got \(describe(shape))")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The recommended gain of a nonlinearity (`calculate_gain`).
    public static func gain(_ nonlinearity: String, param: Float? = nil) -> Float {
        switch nonlinearity {
        case "relu": return Float(2).squareRoot()
        case "tanh": return 5.0 / 3
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2 / (1 + slope * slope)).squareRoot()
        case "selu": return 0.75
        default: return 1  // linear, conv*, sigmoid
        }
    }

    /// Uniform in [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float, generator: inout RandomGenerator) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, generator: &generator)
    }

    /// Kaiming (He) uniform: bound = gain·√(3/fan), fan = fan_in or fan_out.
    public static func kaimingUniform(_ shape: [Int], a: Float = 0, fanOut: Bool = false, nonlinearity: String = "leaky_relu",
                                      generator: inout RandomGenerator) -> Tensor {
        let f = fans(shape)
        let fan = Float(fanOut ? f.fanOut : f.fanIn)
        let bound = gain(nonlinearity, param: a) * (3 / fan).squareRoot()
        return uniform(shape, low: -bound, high: bound, generator: &generator)
    }

    /// Kaiming (He) normal: std = gain/√fan. torchvision's ResNet uses fan_out with relu.
    public static func kaimingNormal(_ shape: [Int], a: Float = 0, fanOut: Bool = false, nonlinearity: String = "leaky_relu",
                                     generator: inout RandomGenerator) -> Tensor {
        let f = fans(shape)
        let std = gain(nonlinearity, param: a) / Float(fanOut ? f.fanOut : f.fanIn).squareRoot()
        return Tensor.normal(shape, std: std, generator: &generator)
    }

    /// Xavier (Glorot) uniform: bound = gain·√(6/(fan_in+fan_out)).
    public static func xavierUniform(_ shape: [Int], gain g: Float = 1, generator: inout RandomGenerator) -> Tensor {
        let f = fans(shape)
        let bound = g * (6 / Float(f.fanIn + f.fanOut)).squareRoot()
        return uniform(shape, low: -bound, high: bound, generator: &generator)
    }

    /// Normal with the given mean and standard deviation (VGG's classifier uses std 0.01).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout RandomGenerator) -> Tensor {
        Tensor.normal(shape, mean: mean, std: std, generator: &generator)
    }

    /// PyTorch's default for Conv and Linear: weight kaiming_uniform(a=√5) — bound 1/√fan_in — and
    /// bias uniform in ±1/√fan_in.
    public static func defaultLayer(weightShape: [Int], bias: Bool, generator: inout RandomGenerator) -> (Tensor, Tensor?) {
        let w = kaimingUniform(weightShape, a: Float(5).squareRoot(), generator: &generator)
        guard bias else { return (w, nil) }
        let fanIn = fans(weightShape).fanIn
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return (w, uniform([weightShape[0]], low: -bound, high: bound, generator: &generator))
    }
}

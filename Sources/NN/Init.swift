// Weight initialisation with PyTorch's formulas (torch.nn.init). Layers draw from the process-wide
// generator (`TorchGenerator.manualSeed` seeds it), which is PyTorch's: bounds and standard
// deviations are computed in Double as torch.nn.init computes them in Python, then rounded to
// Float as uniform_/normal_ round them, so the same seed gives the same weights bit for bit.

import Foundation
import Tensors
import Traps

/// PyTorch's `torch.nn.init` functions.
public enum Init {
    /// While true (for the current task), the random initialisers return uninitialised tensors
    /// without drawing from the generator or writing them: for building a model whose every
    /// parameter a strict state-dict load is about to overwrite (the inference loaders), where the
    /// draws would cost most of a cold start and writing zeros would make the build's parameters
    /// resident beside the loaded ones (65 MB more peak memory for a ResNet-18). Not for training:
    /// PyTorch's build draws, and seeded runs follow its generator draw for draw.
    @TaskLocal public static var skipsRandomDraws = false

    /// Fan-in and fan-out of a weight: dims 1 and 0 times the receptive field (dims 2...).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        trapUnless(shape.count >= 2, "fan in/out need a weight with at least 2 dimensions, got \(describe(shape))")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The recommended gain of a nonlinearity (`calculate_gain`).
    public static func gain(_ nonlinearity: String, param: Float? = nil) -> Float {
        Float(gainDouble(nonlinearity, param: param.map(Double.init)))
    }

    /// `calculate_gain` in Double, as Python computes it.
    static func gainDouble(_ nonlinearity: String, param: Double?) -> Double {
        switch nonlinearity {
        case "relu": return 2.0.squareRoot()
        case "tanh": return 5.0 / 3
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2.0 / (1 + slope * slope)).squareRoot()
        case "selu": return 0.75
        default: return 1  // linear, conv*, sigmoid
        }
    }

    /// Uniform in [low, high).
    public static func uniform<G: TensorRandomSource>(_ shape: [Int], low: Float, high: Float, generator: inout G) -> Tensor {
        if skipsRandomDraws { return Tensor(uninitializedShape: shape) }
        return Tensor.uniform(shape, low: low, high: high, generator: &generator)
    }

    /// Kaiming (He) uniform: bound = gain·√3/√fan, fan = fan_in or fan_out. `a` is the negative
    /// slope of leaky_relu (√5 in PyTorch's layer default).
    public static func kaimingUniform<G: TensorRandomSource>(_ shape: [Int], a: Float = 0, fanOut: Bool = false,
                                                             nonlinearity: String = "leaky_relu", generator: inout G) -> Tensor {
        kaimingUniform(shape, a: Double(a), fanOut: fanOut, nonlinearity: nonlinearity, generator: &generator)
    }

    static func kaimingUniform<G: TensorRandomSource>(_ shape: [Int], a: Double, fanOut: Bool, nonlinearity: String,
                                                      generator: inout G) -> Tensor {
        let f = fans(shape)
        let std = gainDouble(nonlinearity, param: a) / Double(fanOut ? f.fanOut : f.fanIn).squareRoot()
        let bound = 3.0.squareRoot() * std
        return uniform(shape, low: Float(-bound), high: Float(bound), generator: &generator)
    }

    /// Kaiming (He) normal: std = gain/√fan. torchvision's ResNet uses fan_out with relu.
    public static func kaimingNormal<G: TensorRandomSource>(_ shape: [Int], a: Float = 0, fanOut: Bool = false,
                                                            nonlinearity: String = "leaky_relu", generator: inout G) -> Tensor {
        let f = fans(shape)
        let std = gainDouble(nonlinearity, param: Double(a)) / Double(fanOut ? f.fanOut : f.fanIn).squareRoot()
        return normal(shape, std: Float(std), generator: &generator)
    }

    /// Xavier (Glorot) uniform: bound = gain·√3·√(2/(fan_in+fan_out)).
    public static func xavierUniform<G: TensorRandomSource>(_ shape: [Int], gain g: Float = 1, generator: inout G) -> Tensor {
        let f = fans(shape)
        let std = Double(g) * (2.0 / Double(f.fanIn + f.fanOut)).squareRoot()
        let bound = 3.0.squareRoot() * std
        return uniform(shape, low: Float(-bound), high: Float(bound), generator: &generator)
    }

    /// Normal with the given mean and standard deviation (VGG's classifier uses std 0.01).
    public static func normal<G: TensorRandomSource>(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: inout G) -> Tensor {
        if skipsRandomDraws { return Tensor(uninitializedShape: shape) }
        return Tensor.normal(shape, mean: mean, std: std, generator: &generator)
    }

    /// Normal(mean, std) truncated to [a, b] (`trunc_normal_`; the bounds are absolute values, ±2 by
    /// default, not multiples of std), drawn as torch 2.15's does (older releases inverted the CDF
    /// of a uniform draw instead; the distribution is the same). When [a, b] holds more than 30%
    /// of the mass, a normal draw of the whole tensor, then whole-tensor redraws that replace the
    /// values outside [a, b] until none is left; otherwise uniform proposals on [a, b] accepted
    /// against the density, again in whole-tensor rounds. ConvNeXt uses std 0.02 (nothing is redrawn).
    public static func truncatedNormal<G: TensorRandomSource>(_ shape: [Int], mean: Float = 0, std: Float = 1, a: Float = -2,
                                                              b: Float = 2, generator: inout G) -> Tensor {
        if skipsRandomDraws { return Tensor(uninitializedShape: shape) }
        trapUnless(std > 0 && a < b, "trunc_normal_: needs std > 0 and a < b, got std \(std), [\(a), \(b)]")
        func cdf(_ x: Double) -> Double { (1 + erf(x / 2.0.squareRoot())) / 2 }
        let mass = cdf((Double(b) - Double(mean)) / Double(std)) - cdf((Double(a) - Double(mean)) / Double(std))
        if mass > 0.3 {
            var values = Tensor.normal(shape, mean: mean, std: std, generator: &generator).scalars
            while values.contains(where: { $0 < a || $0 > b }) {
                let redraw = Tensor.normal(shape, mean: mean, std: std, generator: &generator).scalars
                for i in values.indices where values[i] < a || values[i] > b { values[i] = redraw[i] }
            }
            return Tensor(shape: shape, data: values)
        }
        // Rejection sampling: accept a proposal x when log(u) ≤ log pdf(x) − log pdf(mode), in
        // Float as PyTorch's in-place tensor ops compute it.
        let mode = Swift.max(Double(a), Swift.min(Double(mean), Double(b)))
        let logPeak = Float(-0.5 * ((mode - Double(mean)) / Double(std)) * ((mode - Double(mean)) / Double(std)))
        func logDensity(_ x: Float) -> Float {
            let z = (x - mean) / std
            return -0.5 * (z * z) - logPeak
        }
        var values = Tensor.uniform(shape, low: a, high: b, generator: &generator).scalars
        var pending = zip(values, Tensor.uniform(shape, generator: &generator).scalars).map { Foundation.log($1) > logDensity($0) }
        while pending.contains(true) {
            let proposals = Tensor.uniform(shape, low: a, high: b, generator: &generator).scalars
            let u = Tensor.uniform(shape, generator: &generator).scalars
            for i in values.indices where pending[i] {
                values[i] = proposals[i]
                pending[i] = Foundation.log(u[i]) > logDensity(proposals[i])
            }
        }
        return Tensor(shape: shape, data: values)
    }

    /// PyTorch's default for Conv and Linear (`reset_parameters`): weight kaiming_uniform(a=√5) —
    /// bound 1/√fan_in — then bias uniform in ±1/√fan_in, in that order.
    public static func defaultLayer<G: TensorRandomSource>(weightShape: [Int], bias: Bool, generator: inout G) -> (Tensor, Tensor?) {
        // Python's math.sqrt(5) ** 2 is 5.000000000000001; the bound follows from it.
        let w = kaimingUniform(weightShape, a: 5.0.squareRoot(), fanOut: false, nonlinearity: "leaky_relu", generator: &generator)
        guard bias else { return (w, nil) }
        let fanIn = fans(weightShape).fanIn
        let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
        return (w, uniform([weightShape[0]], low: Float(-bound), high: Float(bound), generator: &generator))
    }
}

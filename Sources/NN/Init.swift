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

    /// Normal(mean, std) truncated to [a, b] (`trunc_normal_`, torchvision's GoogLeNet and
    /// Inception v3), drawn as PyTorch draws it: uniforms in [2Φ(α) − 1, 2Φ(β) − 1) (α, β the
    /// bounds in standard deviations, Φ the normal CDF) through the inverse error function, scaled
    /// by std·√2, shifted by the mean and clamped to [a, b]. One uniform per element. As in PyTorch,
    /// a uniform at exactly the lower end (2⁻²⁴ of draws when the bounds are many deviations
    /// out) gives erf⁻¹(−1) = −∞, clamped to `a`.
    public static func truncatedNormal<G: TensorRandomSource>(_ shape: [Int], mean: Float = 0, std: Float = 1, a: Float = -2,
                                                              b: Float = 2, generator: inout G) -> Tensor {
        func cdf(_ x: Double) -> Double { (1 + Foundation.erf(x / 2.0.squareRoot())) / 2 }
        let l = cdf((Double(a) - Double(mean)) / Double(std)), u = cdf((Double(b) - Double(mean)) / Double(std))
        var t = uniform(shape, low: Float(2 * l - 1), high: Float(2 * u - 1), generator: &generator)
        if skipsRandomDraws { return t }
        let scale = Double(std) * 2.0.squareRoot()
        t.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let v = Float(inverseErf(Double(p[i])) * scale) + mean
                p[i] = Swift.min(Swift.max(v, a), b)
            }
        }
        return t
    }

    /// erf⁻¹(y) for y in [−1, 1] (±∞ at ±1): Giles' single-precision approximation refined by two
    /// Newton steps on erf, accurate to Double rounding.
    static func inverseErf(_ y: Double) -> Double {
        if y <= -1 { return -.infinity }
        if y >= 1 { return .infinity }
        var w = -Foundation.log((1 - y) * (1 + y)), x: Double
        if w < 5 {
            w -= 2.5
            x = 2.81022636e-08
            for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                      0.246640727, 1.50140941] { x = c + x * w }
        } else {
            w = w.squareRoot() - 3
            x = -0.000200214257
            for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                      1.00167406, 2.83297682] { x = c + x * w }
        }
        x *= y
        for _ in 0..<2 {
            let e = Foundation.erf(x) - y
            x -= e / (2 / Double.pi.squareRoot() * Foundation.exp(-x * x))
        }
        return x
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

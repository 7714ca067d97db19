// Loads Fixtures/ops.json (written by Scripts/make_tensor_fixtures.py with PyTorch) and maps each
// case's op name to the SwiftVision call that should reproduce it.

import Foundation
import Tensors
import TestSupport

enum ArgValue: Decodable {
    case int(Int), double(Double), bool(Bool), ints([Int]), floats([Float]), string(String)
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let i = try? c.decode([Int].self) { self = .ints(i) }
        else { self = .floats(try c.decode([Float].self)) }
    }
    var floats: [Float] {
        switch self {
        case .floats(let v): return v
        case .ints(let v): return v.map(Float.init)
        default: fatalError("not a list of numbers")
        }
    }
    var int: Int { if case .int(let v) = self { return v }; fatalError("not an int: \(self)") }
    var float: Float {
        switch self { case .int(let v): return Float(v); case .double(let v): return Float(v); default: fatalError("not a number") }
    }
    var bool: Bool { if case .bool(let v) = self { return v }; fatalError("not a bool") }
    var ints: [Int] { if case .ints(let v) = self { return v }; fatalError("not a list") }
    var string: String { if case .string(let v) = self { return v }; fatalError("not a string: \(self)") }
}

struct OpCase: Decodable, CustomStringConvertible {
    let name: String
    let op: String
    let args: [String: ArgValue]
    let inputs: [TensorData]
    let output: TensorData
    let gradOutput: TensorData?
    let grads: [TensorData?]?
    var description: String { name }

    /// Runs the op on `xs` the way the fixture's PyTorch code did.
    func apply(_ xs: [Tensor]) -> Tensor {
        let dims = args["dims"]?.ints ?? []
        let keep = args["keepdim"]?.bool ?? false
        switch op {
        case "add": return xs[0] + xs[1]
        case "sub": return xs[0] - xs[1]
        case "mul": return xs[0] * xs[1]
        case "div": return xs[0] / xs[1]
        case "maximum": return xs[0].maximum(xs[1])
        case "minimum": return xs[0].minimum(xs[1])
        case "pow": return xs[0].pow(xs[1])
        case "neg": return -xs[0]
        case "exp": return xs[0].exp()
        case "log": return xs[0].log()
        case "sqrt": return xs[0].sqrt()
        case "abs": return xs[0].abs()
        case "relu": return xs[0].relu()
        case "sigmoid": return xs[0].sigmoid()
        case "tanh": return xs[0].tanh()
        case "silu": return xs[0].silu()
        case "hardswish": return xs[0].hardswish()
        case "hardsigmoid": return xs[0].hardsigmoid()
        case "relu6": return xs[0].relu6()
        case "gelu": return xs[0].gelu(approximate: GELUApproximation(rawValue: args["approximate"]!.string)!)
        case "clamp": return xs[0].clamp(min: args["min"]!.float, max: args["max"]!.float)
        case "powScalar": return xs[0].pow(args["exponent"]!.float)
        case "addScalar": return xs[0] + args["value"]!.float
        case "mulScalar": return xs[0] * args["value"]!.float
        case "sum": return xs[0].sum(dims: dims, keepdim: keep)
        case "mean": return xs[0].mean(dims: dims, keepdim: keep)
        case "var": return xs[0].variance(dims: dims, correction: args["correction"]!.int, keepdim: keep)
        case "maxDim": return xs[0].max(dim: args["dim"]!.int).values
        case "minDim": return xs[0].min(dim: args["dim"]!.int).values
        case "argmaxDim": return xs[0].argmax(dim: args["dim"]!.int)
        case "max": return xs[0].max()
        case "softmax": return xs[0].softmax(dim: args["dim"]!.int)
        case "logSoftmax": return xs[0].logSoftmax(dim: args["dim"]!.int)
        case "matmul": return xs[0].matmul(xs[1])
        case "bmm": return xs[0].bmm(xs[1])
        case "linear": return Tensor.linear(xs[0], weight: xs[1], bias: xs[2])
        case "linearNoBias": return Tensor.linear(xs[0], weight: xs[1])
        case "permute": return xs[0].permute(args["order"]!.ints)
        case "transpose": return xs[0].transpose(args["dim0"]!.int, args["dim1"]!.int)
        case "narrow": return xs[0].narrow(dim: args["dim"]!.int, start: args["start"]!.int, length: args["length"]!.int)
        case "cat": return Tensor.cat(xs, dim: args["dim"]!.int)
        case "stack": return Tensor.stack(xs, dim: args["dim"]!.int)
        case "reshape": return xs[0].reshape(args["shape"]!.ints)
        case "expand": return xs[0].broadcastTo(args["shape"]!.ints)
        case "flatten": return xs[0].flatten(startDim: args["startDim"]!.int)
        case "conv2d":
            let (st, pd, dl) = (args["stride"]!.int, args["padding"]!.int, args["dilation"]!.int)
            return Tensor.conv2d(xs[0], weight: xs[1], bias: xs.count > 2 ? xs[2] : nil, stride: (st, st),
                                 padding: (pd, pd), dilation: (dl, dl), groups: args["groups"]!.int)
        case "maxPool2d":
            let (k, st, pd, dl) = (args["kernel"]!.int, args["stride"]!.int, args["padding"]!.int, args["dilation"]!.int)
            return xs[0].maxPool2d(kernel: (k, k), stride: (st, st), padding: (pd, pd), dilation: (dl, dl),
                                   ceilMode: args["ceilMode"]!.bool)
        case "avgPool2d":
            let (k, st, pd) = (args["kernel"]!.int, args["stride"]!.int, args["padding"]!.int)
            return xs[0].avgPool2d(kernel: (k, k), stride: (st, st), padding: (pd, pd), ceilMode: args["ceilMode"]!.bool,
                                   countIncludePad: args["countIncludePad"]!.bool)
        case "adaptiveAvgPool2d":
            return xs[0].adaptiveAvgPool2d((args["outH"]!.int, args["outW"]!.int))
        case "batchNormTrain", "batchNormEval", "batchNormRunningStats":
            var rm: Tensor? = Tensor(args["runningMean"]!.floats), rv: Tensor? = Tensor(args["runningVar"]!.floats)
            let training = op != "batchNormEval"
            let y = Tensor.batchNorm(xs[0], runningMean: &rm, runningVar: &rv, weight: xs.count > 1 ? xs[1] : nil,
                                     bias: xs.count > 2 ? xs[2] : nil, training: training,
                                     momentum: args["momentum"]!.float, eps: args["eps"]!.float)
            return op == "batchNormRunningStats" ? Tensor.cat([rm!, rv!]) : y
        case "layerNorm":
            return Tensor.layerNorm(xs[0], normalizedShape: args["normalizedShape"]!.ints, weight: xs.count > 1 ? xs[1] : nil,
                                    bias: xs.count > 2 ? xs[2] : nil, eps: args["eps"]!.float)
        case "layerNorm2d":
            return Tensor.layerNorm2d(xs[0], weight: xs[1], bias: xs[2], eps: args["eps"]!.float)
        default: fatalError("fixture op \(op) has no Swift mapping")
        }
    }

    /// Ops whose gradient is not defined at some inputs of the fixture (ties), for finite differences.
    /// Whether central differences describe the gradient: not on ties, nor at the activations'
    /// kinks (evaluated there on purpose; their gradients are checked against PyTorch).
    var isSmooth: Bool { !name.contains("ties") && !name.contains("kinks") }

    /// Finite differences cost two forward passes per input element: keep them to small cases.
    /// The "large" softmax cases (inputs near ±1000) test stability; at float resolution there
    /// (ulp 6e-5) a finite difference says nothing, and their gradients are checked against PyTorch.
    var isSmallForFiniteDifferences: Bool {
        inputs.reduce(0) { $0 + $1.data.count } <= 2000 && !name.contains("large")
    }
}

enum Fixtures: FixtureFolder {
    static let root: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static let opCases = load("ops")
    static let nnCases = load("nn_ops")

    static func load(_ name: String) -> [OpCase] {
        struct File: Decodable { let cases: [OpCase] }
        return decode(File.self, name + ".json").cases
    }
}

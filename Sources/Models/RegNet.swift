// RegNetX and RegNetY with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.regnet): a 3×3/2 stem to 32 channels, four stages of residual bottleneck
// blocks (1×1, grouped 3×3 carrying the stage's stride, squeeze-excitation for Y, 1×1), global
// average pooling and a linear classifier.
//
// The widths are not tabulated: as torchvision's `BlockParams.from_init_params`, they follow from
// the design parameters (depth d, initial width w_0, slope w_a, log step w_m, group width). Block
// j's continuous width w_0 + j·w_a is snapped in log space to w_0·w_m^round(log(1 + j·w_a/w_0) /
// log w_m), then to a multiple of 8; runs of equal width are the stages. Each stage's width is then
// made a multiple of its group width (rounded to the nearest, never more than 10% down), the group
// width capped at the bottleneck width. The arithmetic is in Float as torchvision does it on a
// float32 tensor, rounding halves to even as torch.round does (regnet_x_1_6gf meets an exact half).

import Foundation
import NN
import Tensors
import Traps

/// torchvision's `BlockParams`: each stage's depth, output width, group width, bottleneck
/// multiplier and stride, and the squeeze-excitation ratio of every block (nil for RegNetX).
public struct RegNetBlockParams: Sendable, Equatable {
    public var depths: [Int]
    public var widths: [Int]
    public var groupWidths: [Int]
    public var bottleneckMultipliers: [Double]
    public var strides: [Int]
    public var seRatio: Double?

    /// The stages of the design (torchvision's `BlockParams.from_init_params`): `depth` blocks of
    /// widths quantised from the linear ramp `w0 + j·wa` with log step `wm` (see the file's header).
    public init(depth: Int, w0: Int, wa: Double, wm: Double, groupWidth: Int, bottleneckMultiplier: Double = 1,
                seRatio: Double? = nil) {
        trapUnless(wa >= 0 && w0 > 0 && wm > 1 && w0 % 8 == 0, "Invalid RegNet settings")
        let quant: Float = 8
        let (w0f, waf, wmf, logWm) = (Float(w0), Float(wa), Float(wm), Float(Foundation.log(wm)))
        let blockWidths = (0..<depth).map { j -> Int in
            let continuous = Float(j) * waf + w0f
            let capacity = (Foundation.log(continuous / w0f) / logWm).rounded(.toNearestOrEven)
            return Int((w0f * Foundation.pow(wmf, capacity) / quant).rounded(.toNearestOrEven) * quant)
        }
        var depths: [Int] = [], widths: [Int] = []
        for w in blockWidths {
            if widths.last == w { depths[depths.count - 1] += 1 } else { widths.append(w); depths.append(1) }
        }
        // `_adjust_widths_groups_compatibilty`: bottleneck widths made multiples of the group widths.
        let multipliers = [Double](repeating: bottleneckMultiplier, count: widths.count)
        let bottlenecks = zip(widths, multipliers).map { Int(Double($0) * $1) }
        groupWidths = bottlenecks.map { Swift.min(groupWidth, $0) }
        self.widths = zip(zip(bottlenecks, groupWidths), multipliers).map { wg, m in
            Int(Double(makeDivisible(Double(wg.0), wg.1)) / m)
        }
        self.depths = depths
        bottleneckMultipliers = multipliers
        strides = [Int](repeating: 2, count: widths.count)
        self.seRatio = seRatio
    }
}

/// torchvision's `BottleneckTransform` (keys `a`, `b`, `se`, `c`): 1×1 conv to the bottleneck
/// width, grouped 3×3 conv with the stride, optional squeeze-excitation, 1×1 conv to the output
/// width without activation (each conv followed by BatchNorm).
public final class RegNetBottleneckTransform: Module, @unchecked Sendable {
    public let a: Sequential, b: Sequential, se: SqueezeExcitation?, c: Sequential
    let cConv: Conv2d, cNorm: BatchNorm2d

    init(_ widthIn: Int, _ widthOut: Int, stride: Int, groupWidth: Int, bottleneckMultiplier: Double, seRatio: Double?) {
        let bottleneck = Int((Double(widthOut) * bottleneckMultiplier).rounded(.toNearestOrEven))
        a = convNormActivation(widthIn, bottleneck, kernelSize: 1, activation: ReLU())
        b = convNormActivation(bottleneck, bottleneck, stride: stride, groups: bottleneck / groupWidth, activation: ReLU())
        // The squeeze width is a fraction of the block's input width, not of the bottleneck's.
        se = seRatio.flatMap { $0 == 0 ? nil : SqueezeExcitation(bottleneck, Int(($0 * Double(widthIn)).rounded(.toNearestOrEven)),
                                                                 activation: ReLU()) }
        c = convNormActivation(bottleneck, widthOut, kernelSize: 1, activation: nil)
        cConv = c[0] as! Conv2d
        cNorm = c[1] as! BatchNorm2d
        super.init()
        registerModule("a", a)
        registerModule("b", b)
        if let se { registerModule("se", se) }
        registerModule("c", c)
    }

    /// ReLU(transform(x) + residual), the last conv, its BN, the sum and the ReLU in one fused
    /// kernel pass once BN is folded.
    func forward(_ x: Tensor, addingThenReLU residual: Tensor) -> Tensor {
        var h = b(a(x))
        if let se { h = se(h) }
        return cConv.forward(h, then: cNorm, residual: residual, activation: .relu)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var h = b(a(x))
        if let se { h = se(h) }
        return c(h)
    }
}

/// torchvision's `ResBottleneckBlock`: ReLU(shortcut(x) + f(x)), the shortcut a 1×1 conv + BN
/// (`proj`) when the width or the resolution changes, the input otherwise.
public final class ResBottleneckBlock: Module, @unchecked Sendable {
    public let proj: Sequential?
    public let f: RegNetBottleneckTransform

    init(_ widthIn: Int, _ widthOut: Int, stride: Int, groupWidth: Int, bottleneckMultiplier: Double, seRatio: Double?) {
        proj = widthIn != widthOut || stride != 1
            ? convNormActivation(widthIn, widthOut, kernelSize: 1, stride: stride, activation: nil) : nil
        f = RegNetBottleneckTransform(widthIn, widthOut, stride: stride, groupWidth: groupWidth,
                                      bottleneckMultiplier: bottleneckMultiplier, seRatio: seRatio)
        super.init()
        if let proj { registerModule("proj", proj) }
        registerModule("f", f)
        registerModule("activation", ReLU())
    }

    public override func forward(_ x: Tensor) -> Tensor { f.forward(x, addingThenReLU: proj?(x) ?? x) }
}

/// torchvision's `RegNet` with its `SimpleStemIN` stem and `ResBottleneckBlock` blocks; BatchNorm
/// eps 1e-5, momentum 0.1; ReLU.
public final class RegNet: Module, @unchecked Sendable {
    public let blockParams: RegNetBlockParams
    public let stem: Sequential
    /// `block1` ... `block4`, each torchvision's `AnyStage` of blocks `block<stage>-<i>`.
    public let trunkOutput: NamedSequential
    public let avgpool: AdaptiveAvgPool2d
    public let fc: Linear

    public init(blockParams: RegNetBlockParams, numClasses: Int = 1000, stemWidth: Int = 32) {
        self.blockParams = blockParams
        stem = convNormActivation(3, stemWidth, stride: 2, activation: ReLU())
        var current = stemWidth
        var stages: [(String, Module)] = []
        let p = blockParams
        for i in 0..<Swift.min(p.widths.count, p.strides.count, p.depths.count, p.groupWidths.count, p.bottleneckMultipliers.count) {
            let blocks = (0..<p.depths[i]).map { j -> (String, Module) in
                ("block\(i + 1)-\(j)", ResBottleneckBlock(j == 0 ? current : p.widths[i], p.widths[i], stride: j == 0 ? p.strides[i] : 1,
                                                          groupWidth: p.groupWidths[i], bottleneckMultiplier: p.bottleneckMultipliers[i],
                                                          seRatio: p.seRatio))
            }
            stages.append(("block\(i + 1)", NamedSequential(blocks)))
            current = p.widths[i]
        }
        trunkOutput = NamedSequential(stages)
        avgpool = AdaptiveAvgPool2d(1)
        fc = Linear(current, numClasses)
        super.init()
        registerModule("stem", stem)
        registerModule("trunk_output", trunkOutput)
        registerModule("avgpool", avgpool)
        registerModule("fc", fc)
        // torchvision: conv weights normal(0, √(2/fan_out)), fan_out = k·k·out_channels, their biases
        // (the SE convs') left at the layer default; BN 1/0 (already its defaults); linear
        // normal(0, 0.01) and bias 0. Drawn in module order from the process-wide generator.
        TorchGenerator.withDefault { g in
            for (_, m) in namedModules() {
                if let conv = m as? Conv2d {
                    let fanOut = conv.kernelSize.0 * conv.kernelSize.1 * conv.outChannels
                    conv.weight.value = Init.normal(conv.weight.shape, std: Float((2.0 / Double(fanOut)).squareRoot()), generator: &g)
                } else if let linear = m as? Linear {
                    linear.weight.value = Init.normal(linear.weight.shape, std: 0.01, generator: &g)
                    linear.bias?.value = .zeros([linear.outFeatures])
                }
            }
        }
    }

    public override var summary: String { "RegNet" }

    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(x.shape))") }
        return fc(avgpool(trunkOutput(stem(x))).flatten(startDim: 1))
    }
}

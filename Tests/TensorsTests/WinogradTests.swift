// Winograd F(4×4, 3×3) forward on every ISA path against the direct convolution in Double: maps
// that are not multiples of 4 (partial edge tiles), 1×1 and 2×2 maps, padding 0–2, batches whose
// tile blocks cross images, channel counts that fit no register tile and Cin above one K block;
// the fused epilogue (bias, residual, ReLU, NaN through ReLU); the packed (evaluation-mode) form
// with its cached transform; gradients under autograd (weight and bias gradients unchanged, the
// input gradient as a Winograd conv of dy against the direct gradients).
//
// Error. F(4,3) adds rounding in the transforms, so it is less exact than direct fp32 summation.
// With the points 0, ±1, 1/2, −2 (CKernels/winograd_impl.h), measured 2026-12-02 on every ISA
// path, inputs uniform in ±1 and weights in ±0.5: max |y − y_ref| ≤ 1.7e-5 of the output's RMS
// (3–8e-6 for Cin ≤ 33, 1.0–1.7e-5 for Cin 64–512), 2–12× the implicit GEMM's (≤ 2e-6); Lavin &
// Gray's points 0, ±1, ±2 gave 8e-6–5.5e-5. The tests allow 1e-4 of the RMS.

import Testing
import Tensors
import TestSupport

@Suite struct WinogradTests {
    typealias Case = ConvTiledTests.Case

    static func case3x3(_ n: Int, _ cin: Int, _ h: Int, _ w: Int, _ cout: Int, pad: Int, bias: Bool = true) -> Case {
        Case(n: n, cin: cin, h: h, w: w, cout: cout, kh: 3, kw: 3, stride: 1, pad: pad, bias: bias)
    }

    static let cases: [Case] = [
        case3x3(1, 16, 13, 11, 20, pad: 1),
        case3x3(3, 13, 5, 7, 29, pad: 2),
        case3x3(3, 7, 13, 13, 5, pad: 0, bias: false),
        case3x3(2, 5, 1, 1, 7, pad: 1),       // 1×1 map: one tile, 1×1 of it valid
        case3x3(3, 6, 2, 2, 9, pad: 2),       // 2×2 map, padding 2: 4×4 output
        case3x3(1, 4, 2, 2, 3, pad: 1),
        case3x3(17, 9, 7, 7, 25, pad: 1),     // 17 images × 4 tiles: blocks cross images
        case3x3(2, 33, 18, 21, 37, pad: 1),   // several blocks and tile rows per image
        case3x3(1, 300, 6, 9, 14, pad: 1),    // Cin above one K block (256)
        case3x3(1, 64, 28, 28, 64, pad: 1),   // ResNet's layer1 at a smaller map
    ]

    static let isas = KernelISA.supported

    /// max |actual − expected| / RMS(expected).
    static func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        let rms = (expected.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(expected.count, 1))).squareRoot()
        let worst = zip(actual, expected).reduce(0.0) { Swift.max($0, Swift.abs(Double($1.0) - Double($1.1))) }
        return worst / Swift.max(rms, 1e-30)
    }

    static let tolerance = 1e-4

    @Test(arguments: isas)
    func forwardMatchesDirectConvolution(_ isa: KernelISA) {
        KernelISA.$override.withValue(isa) {
            ConvAlgorithm.$override.withValue(.winograd) {
                for c in Self.cases {
                    let g = ConvAlgorithmTests.geometry(c)
                    #expect(ConvAlgorithm.choose(for: g, .forward) == .winograd, "\(c)")
                    let (x, w, b, r) = ConvAlgorithmTests.inputs(c, seed: 41)
                    let expected = c.conv.forward(x.scalars, w.scalars, b?.scalars)
                    let y = Tensor.conv2d(x, weight: w, bias: b, padding: (c.pad, c.pad))
                    #expect(y.shape == [c.n, c.cout, c.oh, c.ow])
                    let error = Self.relativeError(y.scalars, expected)
                    #expect(error <= Self.tolerance, "\(isa) \(c): error \(error) of the RMS")
                    // Fused: relu(conv + bias + residual), and conv + residual without ReLU.
                    let fused = Tensor.conv2d(x, weight: w, bias: b, padding: (c.pad, c.pad), residual: r, activation: .relu)
                    let sum = zip(expected, r.scalars).map { $0 + $1 }
                    #expect(Self.relativeError(fused.scalars, sum.map { Swift.max(0, $0) }) <= Self.tolerance, "\(isa) fused \(c)")
                    #expect(fused.scalars.allSatisfy { $0 >= 0 }, "\(isa) fused \(c): negative after ReLU")
                    let added = Tensor.conv2d(x, weight: w, bias: b, padding: (c.pad, c.pad), residual: r)
                    #expect(Self.relativeError(added.scalars, sum) <= Self.tolerance, "\(isa) residual \(c)")
                }
            }
        }
    }

    /// Winograd's error stays within a small factor of the implicit GEMM's (both against Double).
    @Test(arguments: isas)
    func errorIsCloseToDirectSummation(_ isa: KernelISA) {
        let c = Self.case3x3(2, 64, 20, 20, 48, pad: 1)
        let (x, w, b, _) = ConvAlgorithmTests.inputs(c, seed: 42)
        let expected = c.conv.forward(x.scalars, w.scalars, b?.scalars)
        let errors = [ConvAlgorithm.winograd, .implicitGemm].map { algorithm in
            KernelISA.$override.withValue(isa) {
                ConvAlgorithm.$override.withValue(algorithm) {
                    Self.relativeError(Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1)).scalars, expected)
                }
            }
        }
        #expect(errors[0] <= Self.tolerance && errors[0] <= 30 * Swift.max(errors[1], 1e-7),
                "\(isa): winograd \(errors[0]), implicit GEMM \(errors[1]) of the RMS")
    }

    @Test(arguments: isas)
    func reluPassesNaN(_ isa: KernelISA) {
        // A NaN input reaches (at least) every output whose window holds it and stays NaN through
        // ReLU; tiles whose patches miss it stay finite. (Winograd spreads it over whole tiles.)
        let c = Self.case3x3(1, 16, 12, 12, 16, pad: 1)
        var (x, w, b, _) = ConvAlgorithmTests.inputs(c, seed: 43)
        x.withUnsafeMutableBufferPointer { $0[3 * 144 + 1 * 12 + 2] = .nan }  // channel 3, row 1, column 2
        let y = KernelISA.$override.withValue(isa) {
            ConvAlgorithm.$override.withValue(.winograd) {
                Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1), activation: .relu)
            }
        }
        let ys = y.scalars
        for co in 0..<16 {
            for oy in 0..<12 {
                for ox in 0..<12 {
                    let v = ys[(co * 12 + oy) * 12 + ox]
                    if abs(oy - 1) <= 1 && abs(ox - 2) <= 1 { #expect(v.isNaN, "\(isa) (\(co), \(oy), \(ox)) is \(v)") }
                    if oy >= 8 || ox >= 8 { #expect(v.isFinite && v >= 0, "\(isa) (\(co), \(oy), \(ox)) is \(v)") }
                }
            }
        }
    }

    @Test(arguments: isas)
    func packedFormCachesTheTransform(_ isa: KernelISA) {
        let c = Self.case3x3(3, 20, 11, 9, 26, pad: 1)
        let (x, w, b, r) = ConvAlgorithmTests.inputs(c, seed: 44)
        let packed = PackedConvWeights.pack(w, groups: 1, isa: isa)
        #expect(packed.winograd() === packed.winograd())
        #expect(packed.winograd().isa == isa)
        let expected = zip(c.conv.forward(x.scalars, w.scalars, b?.scalars), r.scalars).map { Swift.max(0, $0 + $1) }
        let y = KernelISA.$override.withValue(isa) {
            ConvAlgorithm.$override.withValue(.winograd) {
                Tensor.conv2d(x, packed: packed, bias: b, padding: (1, 1), residual: r, activation: .relu)
            }
        }
        #expect(Self.relativeError(y.scalars, expected) <= Self.tolerance, "\(isa)")
    }

    @Test func gradientsUnderAutogradAreUnchanged() throws {
        // The forward's algorithm does not change the weight and bias gradients (the backward pass
        // reads x, w and dy only); forced, Winograd also computes the input gradient (a forward
        // conv of dy with the flipped weights), to its own rounding.
        let c = Self.case3x3(2, 12, 9, 10, 14, pad: 1)
        var g = RandomGenerator(seed: 45)
        let gy = Tensor.uniform([c.n, c.cout, c.oh, c.ow], low: -1, high: 1, generator: &g)
        let (x0, w0, b0, _) = ConvAlgorithmTests.inputs(c, seed: 46)
        func run(_ algorithm: ConvAlgorithm) throws -> (y: [Float], grads: [[Float]]) {
            try ConvAlgorithm.$override.withValue(algorithm) {
                let x = x0.detached().requiringGrad(), w = w0.detached().requiringGrad(), b = b0!.detached().requiringGrad()
                let y = Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1))
                try y.backward(gradient: gy)
                return (y.scalars, [try #require(x.grad).scalars, try #require(w.grad).scalars, try #require(b.grad).scalars])
            }
        }
        let winograd = try run(.winograd), direct = try run(.implicitGemm)
        #expect(Self.relativeError(winograd.y, direct.y) <= Self.tolerance)
        #expect(Self.relativeError(winograd.grads[0], direct.grads[0]) <= Self.tolerance)
        #expect(winograd.grads[1] == direct.grads[1])
        #expect(winograd.grads[2] == direct.grads[2])
    }

    @Test(arguments: isas)
    func inputGradientMatchesDirectGradients(_ isa: KernelISA) throws {
        try KernelISA.$override.withValue(isa) {
            try ConvAlgorithm.$override.withValue(.winograd) {
                for c in [Self.case3x3(3, 17, 11, 13, 21, pad: 1), Self.case3x3(2, 20, 6, 5, 9, pad: 0),
                          Self.case3x3(17, 8, 7, 7, 16, pad: 1)] {
                    #expect(ConvAlgorithm.choose(for: ConvAlgorithmTests.geometry(c), .forward) == .winograd)
                    try ConvTiledTests.checkBackward(c, seed: 47, label: "\(isa) winograd")
                }
            }
        }
    }

    @Test func appliesOnlyTo3x3Stride1() {
        let base = Self.case3x3(1, 8, 10, 10, 8, pad: 1)
        #expect(ConvAlgorithm.winograd.applies(to: ConvAlgorithmTests.geometry(base), .forward))
        #expect(!ConvAlgorithm.winograd.applies(to: ConvAlgorithmTests.geometry(base), .backward))
        var strided = base; strided.stride = 2
        var dilated = base; dilated.dilation = 2
        var grouped = base; grouped.groups = 2
        var wide = base; wide.pad = 3
        var pointwise = base; pointwise.kh = 1; pointwise.kw = 1; pointwise.pad = 0
        for c in [strided, dilated, grouped, wide, pointwise] {
            let g = ConvAlgorithmTests.geometry(c)
            #expect(!ConvAlgorithm.winograd.applies(to: g, .forward), "\(c)")
            let chosen = ConvAlgorithm.$override.withValue(.winograd) { ConvAlgorithm.choose(for: g, .forward) }
            #expect(chosen == ConvAlgorithm.$override.withValue(nil) { ConvAlgorithm.choose(for: g, .forward) }, "\(c)")
        }
    }
}

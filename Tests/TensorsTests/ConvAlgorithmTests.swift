// Every conv algorithm on every ISA path this machine has, against the direct convolution in Double,
// over a grid of shapes: odd sizes, stride 2 and 3, padding, dilation, groups, depthwise, 1×1,
// batches whose columns cross image boundaries inside a GEMM block, outputs wider than one
// register tile, and channel counts that are not multiples of any tile. Forward (plain and with
// the fused residual + ReLU epilogue) and backward (both gradients). Also the chooser's rules:
// a forced algorithm is used wherever it applies and falls back elsewhere.

import Testing
import Tensors
import TestSupport

@Suite struct ConvAlgorithmTests {
    typealias Case = ConvTiledTests.Case

    /// The shapes: ConvTiledTests' grid plus depthwise, wide outputs and odd channel counts.
    static let cases: [Case] = ConvTiledTests.cases + [
        Case(n: 2, cin: 12, h: 15, w: 13, cout: 12, kh: 3, kw: 3, stride: 1, pad: 1, groups: 12, bias: true),
        Case(n: 1, cin: 16, h: 14, w: 14, cout: 32, kh: 3, kw: 3, stride: 2, pad: 1, groups: 16, bias: false),
        Case(n: 1, cin: 5, h: 40, w: 77, cout: 13, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        Case(n: 1, cin: 4, h: 81, w: 90, cout: 14, kh: 3, kw: 3, stride: 2, pad: 0, bias: false),
        Case(n: 3, cin: 7, h: 12, w: 12, cout: 29, kh: 1, kw: 1, stride: 1, pad: 0, bias: true),
        Case(n: 2, cin: 3, h: 70, w: 70, cout: 16, kh: 7, kw: 7, stride: 2, pad: 3, bias: false),
        Case(n: 17, cin: 9, h: 7, w: 7, cout: 25, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        // Non-widening stride-1 convs (their input gradient is the conv of dy with flipped weights):
        // 5×5 taps (more than one 16-wide transpose) and K blocks (Cout·9 = 315, two blocks of 158)
        // that split one output channel's taps, Cin not a multiple of MR.
        Case(n: 2, cin: 7, h: 11, w: 10, cout: 5, kh: 5, kw: 5, stride: 1, pad: 2, bias: true),
        Case(n: 2, cin: 37, h: 9, w: 11, cout: 35, kh: 3, kw: 3, stride: 1, pad: 1, bias: false),
        // The direct kernel's blocking: K = 630 in two chunks, 70 output channels (a partial
        // 64-channel panel), 450 columns (more than one block of 64 tiles; tiles crossing rows and
        // images); and a strided, dilated one.
        Case(n: 2, cin: 70, h: 15, w: 15, cout: 70, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        Case(n: 3, cin: 64, h: 13, w: 11, cout: 19, kh: 3, kw: 3, stride: 2, pad: 2, dilation: 2, bias: false),
        // Taps that read only padding (LiveTaps): a 3×3 on 1×1 maps (ResNet-18's layer4 at 32²),
        // 3×3/2 from 2×2 to 1×1 (its first conv), a 5-row, 1-column map, a dilated one whose live
        // window is the centre, and a depthwise one on 1×1.
        Case(n: 5, cin: 70, h: 1, w: 1, cout: 66, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        Case(n: 3, cin: 20, h: 2, w: 2, cout: 70, kh: 3, kw: 3, stride: 2, pad: 1, bias: false),
        Case(n: 2, cin: 6, h: 5, w: 1, cout: 9, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
        Case(n: 2, cin: 8, h: 2, w: 3, cout: 11, kh: 3, kw: 3, stride: 1, pad: 2, dilation: 2, bias: false),
        Case(n: 4, cin: 16, h: 1, w: 1, cout: 16, kh: 3, kw: 3, stride: 1, pad: 1, groups: 16, bias: true),
        // Depthwise stencils: MobileNet's 5×5/2, ConvNeXt's 7×7 with padding 3 on a map narrower
        // than one vector, a dilated one, and a channel multiplier of 3 at stride 3.
        Case(n: 2, cin: 10, h: 23, w: 37, cout: 10, kh: 5, kw: 5, stride: 2, pad: 2, groups: 10, bias: true),
        Case(n: 1, cin: 6, h: 9, w: 7, cout: 6, kh: 7, kw: 7, stride: 1, pad: 3, groups: 6, bias: false),
        Case(n: 2, cin: 4, h: 19, w: 40, cout: 4, kh: 3, kw: 3, stride: 1, pad: 2, dilation: 2, groups: 4, bias: true),
        Case(n: 1, cin: 5, h: 20, w: 50, cout: 15, kh: 3, kw: 3, stride: 3, pad: 1, groups: 5, bias: true),
        // Stride 2 on even maps (MobileNet's 3×3/2 and EfficientNet's 5×5/2): the last window reads
        // rows below the last output's origin, whose input gradient the spread dY must still carry.
        Case(n: 2, cin: 12, h: 8, w: 6, cout: 12, kh: 3, kw: 3, stride: 2, pad: 1, groups: 12, bias: false),
        Case(n: 1, cin: 9, h: 4, w: 10, cout: 9, kh: 5, kw: 5, stride: 2, pad: 2, groups: 9, bias: true),
        Case(n: 8, cin: 24, h: 2, w: 2, cout: 24, kh: 3, kw: 3, stride: 1, pad: 1, groups: 24, bias: false),
        // 1 × 1 outputs with every tap live: im2col's 1-float runs (its 8-float stores must not
        // pass the end of a chunk's rows; they did, under AddressSanitizer).
        Case(n: 2, cin: 5, h: 3, w: 3, cout: 7, kh: 3, kw: 3, stride: 1, pad: 0, bias: true),
        Case(n: 2, cin: 6, h: 3, w: 3, cout: 9, kh: 3, kw: 3, stride: 2, pad: 0, bias: false),
    ]

    static let isas = KernelISA.supported

    static func inputs(_ c: Case, seed: UInt64) -> (x: Tensor, w: Tensor, b: Tensor?, r: Tensor) {
        var g = RandomGenerator(seed: seed)
        let x = Tensor.uniform([c.n, c.cin, c.h, c.w], low: -1, high: 1, generator: &g)
        let w = Tensor.uniform([c.cout, c.cin / c.groups, c.kh, c.kw], low: -0.5, high: 0.5, generator: &g)
        let b = c.bias ? Tensor.uniform([c.cout], generator: &g) : nil
        let r = Tensor.uniform([c.n, c.cout, c.oh, c.ow], low: -1, high: 1, generator: &g)
        return (x, w, b, r)
    }

    static func geometry(_ c: Case) -> Conv2dGeometry {
        try! Tensor.conv2dGeometry(input: [c.n, c.cin, c.h, c.w], weight: [c.cout, c.cin / c.groups, c.kh, c.kw],
                                   stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                                   dilation: (c.dilation, c.dilation), groups: c.groups)
    }

    @Test(arguments: isas, ConvAlgorithm.allCases)
    func forwardMatchesDirectConvolution(_ isa: KernelISA, _ algorithm: ConvAlgorithm) {
        KernelISA.$override.withValue(isa) {
            ConvAlgorithm.$override.withValue(algorithm) {
                for c in Self.cases {
                    let g = Self.geometry(c)
                    let chosen = ConvAlgorithm.choose(for: g, .forward)
                    let rule = ConvAlgorithm.$override.withValue(nil) { ConvAlgorithm.choose(for: g, .forward) }
                    #expect(algorithm.applies(to: g, .forward) ? chosen == algorithm : chosen == rule, "\(c)")
                    // Winograd's transforms round more than direct summation (WinogradTests measures it).
                    let (rtol, atol): (Float, Float) = chosen == .winograd ? (1e-4, 1e-4) : (1e-5, 1e-5)
                    let (x, w, b, r) = Self.inputs(c, seed: 31)
                    let expected = c.conv.forward(x.scalars, w.scalars, b?.scalars)
                    let y = Tensor.conv2d(x, weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                                          dilation: (c.dilation, c.dilation), groups: c.groups)
                    #expect(y.shape == [c.n, c.cout, c.oh, c.ow])
                    let diff = closeness(y.scalars, expected, rtol: rtol, atol: atol)
                    #expect(diff == nil, "\(isa) \(chosen) \(c): \(diff ?? "")")
                    // Fused epilogue: relu(conv + bias + residual).
                    let fused = Tensor.conv2d(x, weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                                              dilation: (c.dilation, c.dilation), groups: c.groups, residual: r, activation: .relu)
                    let fusedExpected = zip(expected, r.scalars).map { Swift.max(0, $0 + $1) }
                    let fusedDiff = closeness(fused.scalars, fusedExpected, rtol: rtol, atol: atol)
                    #expect(fusedDiff == nil, "\(isa) \(chosen) fused \(c): \(fusedDiff ?? "")")
                }
            }
        }
    }

    /// The algorithms with a backward pass; `implicitGemm` forced there (as by default) computes the
    /// input gradient of stride-1 convs as a forward conv of dy and the weight gradient of ungrouped
    /// convs with the gather-and-transpose kernel; the rest takes the default backward rule.
    /// `direct` forced computes the input gradient of stride-1 convs as the direct kernel's
    /// forward conv of dy (flipped, transposed weights) and falls back elsewhere.
    static let backwardAlgorithms: [ConvAlgorithm] = [.im2col, .tiled, .batched, .implicitGemm, .direct, .depthwise]

    @Test(arguments: isas, backwardAlgorithms)
    func backwardMatchesDirectGradients(_ isa: KernelISA, _ algorithm: ConvAlgorithm) throws {
        try KernelISA.$override.withValue(isa) {
            try ConvAlgorithm.$override.withValue(algorithm) {
                for c in Self.cases {
                    let g = Self.geometry(c)
                    let chosen = ConvAlgorithm.choose(for: g, .backward)
                    #expect(!algorithm.applies(to: g, .backward) || chosen == algorithm)
                    let inputGradient = ConvAlgorithm.chooseInputGradient(for: g)
                    #expect(inputGradient == (algorithm.applies(to: g, .backward) ? algorithm
                        : ConvAlgorithm.prefersInputGradientAsConvolution(g) ? .implicitGemm : chosen))
                    let weightGradient = ConvAlgorithm.chooseWeightGradient(for: g)
                    #expect(weightGradient == (algorithm.applies(to: g, .backward) ? algorithm
                        : algorithm == .direct && g.groups == 1 ? .direct
                        : g.groups == 1 ? .implicitGemm : chosen))
                    try ConvTiledTests.checkBackward(c, seed: 32, label: "\(isa) dW \(weightGradient) dX \(inputGradient)")
                }
            }
        }
    }

    @Test func forwardOnlyAlgorithmsFallBackForBackward() {
        let g = Self.geometry(Case(n: 1, cin: 4, h: 40, w: 40, cout: 8, kh: 3, kw: 3, stride: 1, pad: 1, bias: false))
        for algorithm in [ConvAlgorithm.implicitGemm, .shifted] {
            #expect(algorithm.applies(to: g, .forward))
            #expect(!algorithm.applies(to: g, .backward))
            let chosen = ConvAlgorithm.$override.withValue(algorithm) { ConvAlgorithm.choose(for: g, .backward) }
            #expect(chosen == ConvAlgorithm.$override.withValue(nil) { ConvAlgorithm.choose(for: g, .backward) })
        }
    }

    /// The forward rule's measured cases: K ≥ 512 goes direct everywhere, a 3-channel 7×7/2 stem
    /// only on the AVX2 path, and a small-K conv stays on the implicit GEMM.
    @Test func forwardRulePicksDirectForLongKAndTheAVX2Stem() {
        let stem = Self.geometry(Case(n: 1, cin: 3, h: 224, w: 224, cout: 64, kh: 7, kw: 7, stride: 2, pad: 3, bias: false))
        let longK = Self.geometry(Case(n: 1, cin: 512, h: 7, w: 7, cout: 512, kh: 3, kw: 3, stride: 2, pad: 1, bias: false))
        let shortK = Self.geometry(Case(n: 1, cin: 64, h: 56, w: 56, cout: 128, kh: 1, kw: 1, stride: 1, pad: 0, bias: false))
        ConvAlgorithm.$override.withValue(nil) {
            for isa in Self.isas {
                KernelISA.$override.withValue(isa) {
                    #expect(ConvAlgorithm.choose(for: stem, .forward) == (isa == .avx2 ? .direct : .implicitGemm), "\(isa)")
                    #expect(ConvAlgorithm.choose(for: longK, .forward) == .direct, "\(isa)")
                    #expect(ConvAlgorithm.choose(for: shortK, .forward) == .implicitGemm, "\(isa)")
                }
            }
        }
    }

    @Test func packedWeightsAreReusedOnlyForTheirShapeAndISA() {
        let c = Case(n: 2, cin: 6, h: 9, w: 9, cout: 20, kh: 3, kw: 3, stride: 1, pad: 1, bias: true)
        let (x, w, b, _) = Self.inputs(c, seed: 33)
        for isa in Self.isas {
            let packed = PackedConvWeights.pack(w, groups: 1, isa: isa)
            #expect(packed.isa == isa)
            for runISA in Self.isas {
                // Panels of another ISA (other tile sizes) are not used: the result is the same.
                let y = KernelISA.$override.withValue(runISA) {
                    Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1), packed: packed)
                }
                let diff = closeness(y.scalars, c.conv.forward(x.scalars, w.scalars, b?.scalars), rtol: 1e-5, atol: 1e-5)
                #expect(diff == nil, "packed for \(isa), run on \(runISA): \(diff ?? "")")
            }
        }
    }

    @Test func reluEpiloguePassesNaN() {
        for isa in Self.isas {
            var x = Tensor.ones([1, 2, 5, 5])
            x.withUnsafeMutableBufferPointer { $0[7] = .nan }
            let w = Tensor.ones([3, 2, 3, 3])
            let y = KernelISA.$override.withValue(isa) {
                Tensor.conv2d(x, weight: w, padding: (1, 1), activation: .relu)
            }
            // The NaN reaches every output whose window holds input (row 1, column 2).
            let nans = y.scalars.enumerated().filter { $0.element.isNaN }.count
            #expect(nans == 3 * 9, "\(isa): \(nans) NaN outputs")
        }
    }

    @Test func fusedFormRecordsGradientsAsTheSeparateOps() throws {
        var g = RandomGenerator(seed: 34)
        let x = Tensor.uniform([2, 3, 6, 6], low: -1, high: 1, generator: &g).requiringGrad()
        let w = Tensor.uniform([4, 3, 3, 3], low: -0.5, high: 0.5, generator: &g).requiringGrad()
        let r = Tensor.uniform([2, 4, 6, 6], low: -1, high: 1, generator: &g).requiringGrad()
        let y = Tensor.conv2d(x, weight: w, padding: (1, 1), residual: r, activation: .relu)
        try y.sum().backward()
        let x2 = x.detached().requiringGrad(), w2 = w.detached().requiringGrad(), r2 = r.detached().requiringGrad()
        let y2 = (Tensor.conv2d(x2, weight: w2, padding: (1, 1)) + r2).relu()
        try y2.sum().backward()
        #expect(y.scalars == y2.scalars)
        #expect(try #require(x.grad).scalars == (try #require(x2.grad)).scalars)
        #expect(try #require(w.grad).scalars == (try #require(w2.grad)).scalars)
        #expect(try #require(r.grad).scalars == (try #require(r2.grad)).scalars)
    }
}

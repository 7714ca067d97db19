// Convs whose kernel taps partly read only padding run as the conv of the live taps (LiveTaps):
// which windows are found, and that the evaluation-mode packed path gives the full conv's result.
// (Forward and both gradients of such convs on every algorithm and ISA: ConvAlgorithmTests' grid.)

import Testing
import Tensors
import TestSupport

@Suite struct LiveTapsTests {
    typealias Case = ConvTiledTests.Case

    static func live(_ c: Case) -> LiveTaps? { LiveTaps(ConvAlgorithmTests.geometry(c)) }

    @Test func resNetLayer4AtThirtyTwoPixelsKeepsTheCentreTap() throws {
        // 3×3, padding 1 on a 1×1 map: a 1×1 conv without padding.
        let live = try #require(Self.live(Case(n: 64, cin: 512, h: 1, w: 1, cout: 512, kh: 3, kw: 3, stride: 1, pad: 1, bias: false)))
        #expect(live.rows == 1..<2 && live.columns == 1..<2)
        #expect(live.geometry.kernelH == 1 && live.geometry.kernelW == 1)
        #expect(live.geometry.padH == 0 && live.geometry.padW == 0)
        #expect(live.geometry.outH == 1 && live.geometry.outW == 1)
    }

    @Test func strideTwoFromTwoByTwoKeepsTheLowerRightTaps() throws {
        let live = try #require(Self.live(Case(n: 1, cin: 256, h: 2, w: 2, cout: 512, kh: 3, kw: 3, stride: 2, pad: 1, bias: false)))
        #expect(live.rows == 1..<3 && live.columns == 1..<3)
        #expect(live.geometry.kernelH == 2 && live.geometry.padH == 0 && live.geometry.strideH == 2)
        #expect(live.geometry.outH == 1 && live.geometry.outW == 1)
    }

    @Test func oneAxisAndDilatedWindows() throws {
        // A 5 × 1 map: every row tap is live, only the centre column.
        let column = try #require(Self.live(Case(n: 2, cin: 6, h: 5, w: 1, cout: 9, kh: 3, kw: 3, stride: 1, pad: 1, bias: true)))
        #expect(column.rows == 0..<3 && column.columns == 1..<2)
        #expect(column.geometry.padH == 1 && column.geometry.padW == 0)
        // Dilation 2, padding 2 on 2 × 3: the outer taps read rows −2 … −1 and 2 … 3 (outside);
        // columns: the last tap reaches column 2 from output column 0.
        let dilated = try #require(Self.live(Case(n: 2, cin: 8, h: 2, w: 3, cout: 11, kh: 3, kw: 3, stride: 1, pad: 2,
                                                  dilation: 2, bias: false)))
        #expect(dilated.rows == 1..<2 && dilated.columns == 0..<3)
        #expect(dilated.geometry.padH == 0 && dilated.geometry.padW == 2)
    }

    @Test func convsWhoseTapsAllReadTheImageAreLeftAlone() {
        let full = [
            Case(n: 64, cin: 256, h: 2, w: 2, cout: 256, kh: 3, kw: 3, stride: 1, pad: 1, bias: false),  // layer3 at 32²
            Case(n: 1, cin: 3, h: 32, w: 32, cout: 64, kh: 7, kw: 7, stride: 2, pad: 3, bias: false),    // the stem
            Case(n: 1, cin: 64, h: 4, w: 4, cout: 128, kh: 3, kw: 3, stride: 2, pad: 1, bias: false),    // layer4.0 at 64²
            Case(n: 1, cin: 8, h: 1, w: 1, cout: 8, kh: 1, kw: 1, stride: 1, pad: 0, bias: false),
        ]
        for c in full { #expect(Self.live(c) == nil, "\(c)") }
    }

    @Test(arguments: KernelISA.supported)
    func packedEvaluationWeightsRunTheLiveTaps(_ isa: KernelISA) {
        let cases = [
            Case(n: 3, cin: 70, h: 1, w: 1, cout: 66, kh: 3, kw: 3, stride: 1, pad: 1, bias: true),
            Case(n: 2, cin: 20, h: 2, w: 2, cout: 70, kh: 3, kw: 3, stride: 2, pad: 1, bias: true),
        ]
        for c in cases {
            let (x, w, b, r) = ConvAlgorithmTests.inputs(c, seed: 41)
            let packed = PackedConvWeights.pack(w, groups: 1, isa: isa)
            let expected = c.conv.forward(x.scalars, w.scalars, b?.scalars)
            let fusedExpected = zip(expected, r.scalars).map { Swift.max(0, $0 + $1) }
            KernelISA.$override.withValue(isa) {
                // Twice: the second call uses the cropped weight the first one prepared.
                for run in 0..<2 {
                    let y = Tensor.conv2d(x, packed: packed, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad),
                                          residual: r, activation: .relu)
                    #expect(y.shape == [c.n, c.cout, c.oh, c.ow])
                    let diff = closeness(y.scalars, fusedExpected, rtol: 1e-5, atol: 1e-5)
                    #expect(diff == nil, "\(isa) run \(run) \(c): \(diff ?? "")")
                }
            }
            // The full weight is still what the packed form holds.
            #expect(packed.unpacked().scalars == w.scalars)
        }
    }

    @Test func deadTapsGetAZeroWeightGradient() throws {
        var g = RandomGenerator(seed: 42)
        let x = Tensor.uniform([4, 5, 1, 1], low: -1, high: 1, generator: &g)
        let w = Tensor.uniform([6, 5, 3, 3], low: -0.5, high: 0.5, generator: &g).requiringGrad()
        let y = Tensor.conv2d(x, weight: w, padding: (1, 1))
        try (y * y).sum().backward()
        let dw = try #require(w.grad).scalars
        for (i, value) in dw.enumerated() where i % 9 != 4 { #expect(value == 0, "tap \(i % 9) of plane \(i / 9)") }
        #expect(dw.enumerated().filter { $0.offset % 9 == 4 }.allSatisfy { $0.element != 0 })
    }
}

// A model's conv weight (`PackedConvWeights.pack`) is packed lazily, one form per kernel: the
// direct kernel's panels (in place when nothing else holds the plain tensor), the implicit GEMM's
// panels (rebuilt from the direct ones once the plain tensor is gone) and Winograd's transform.
// Every form must give the reference conv, `unpacked()` must give back the exact weight from any
// form, and a tensor the caller still holds must never be rewritten by the in-place packing.

import Testing
import Tensors
import TestSupport

@Suite struct PackedConvWeightsTests {
    typealias Case = ConvTiledTests.Case

    /// Runs `x` through `packed` with `algorithm` forced, against the Double reference.
    static func check(_ c: Case, _ packed: PackedConvWeights, _ algorithm: ConvAlgorithm, x: Tensor, w: Tensor, bias: Tensor?,
                      isa: KernelISA, label: String) {
        let y = KernelISA.$override.withValue(isa) {
            ConvAlgorithm.$override.withValue(algorithm) {
                Tensor.conv2d(x, packed: packed, bias: bias, stride: (c.stride, c.stride), padding: (c.pad, c.pad), activation: .relu)
            }
        }
        let expected = c.conv.forward(x.scalars, w.scalars, bias?.scalars).map { Swift.max(0, $0) }
        let (rtol, atol): (Float, Float) = algorithm == .winograd ? (1e-4, 1e-4) : (1e-5, 1e-5)
        let diff = closeness(y.scalars, expected, rtol: rtol, atol: atol)
        #expect(diff == nil, "\(isa) \(label) \(algorithm): \(diff ?? "")")
    }

    @Test(arguments: KernelISA.supported)
    func everyFormFromOneWeightGivesTheReference(_ isa: KernelISA) {
        // 128 output channels: a multiple of every ISA's direct panel, so the direct form is made in place.
        let c = Case(n: 1, cin: 24, h: 9, w: 9, cout: 128, kh: 3, kw: 3, stride: 1, pad: 1, bias: true)
        let (x, w, bias, _) = ConvAlgorithmTests.inputs(c, seed: 41)
        let original = w.scalars
        // The plain tensor is a private copy (as the BN folding's is), so direct packs it in place.
        let packed = PackedConvWeights.pack(w.clone(), groups: 1, isa: isa)
        for algorithm in [ConvAlgorithm.direct, .implicitGemm, .winograd, .direct, .implicitGemm] {
            Self.check(c, packed, algorithm, x: x, w: w, bias: bias, isa: isa, label: "one weight, forms in turn")
        }
        let unpackedIsExact = packed.unpacked().scalars == original
        #expect(unpackedIsExact, "\(isa): unpacked() after every form")
    }

    @Test(arguments: KernelISA.supported)
    func aWeightTheCallerHoldsIsNotRewritten(_ isa: KernelISA) {
        let c = Case(n: 2, cin: 16, h: 7, w: 8, cout: 64, kh: 3, kw: 3, stride: 2, pad: 1, bias: true)
        let (x, w, bias, _) = ConvAlgorithmTests.inputs(c, seed: 42)
        let original = w.scalars
        let packed = PackedConvWeights.pack(w, groups: 1, isa: isa)  // shares w's storage
        Self.check(c, packed, .direct, x: x, w: w, bias: bias, isa: isa, label: "shared weight")
        let untouched = w.scalars == original
        #expect(untouched, "\(isa): the caller's weight was rewritten")
        // The GEMM form comes from the direct one (the plain tensor is gone) and matches too.
        Self.check(c, packed, .implicitGemm, x: x, w: w, bias: bias, isa: isa, label: "shared weight")
        let unpackedIsExact = packed.unpacked().scalars == original
        #expect(unpackedIsExact, "\(isa): unpacked() from the GEMM form")
    }

    @Test(arguments: KernelISA.supported)
    func channelsThatDoNotFillAPanelArePackedByCopy(_ isa: KernelISA) {
        // 70 output channels: the direct form needs a zero-padded last panel, so it cannot be in place.
        let c = Case(n: 1, cin: 9, h: 6, w: 6, cout: 70, kh: 3, kw: 3, stride: 1, pad: 0, bias: true)
        let (x, w, bias, _) = ConvAlgorithmTests.inputs(c, seed: 43)
        let packed = PackedConvWeights.pack(w.clone(), groups: 1, isa: isa)
        Self.check(c, packed, .direct, x: x, w: w, bias: bias, isa: isa, label: "70 channels")
        Self.check(c, packed, .implicitGemm, x: x, w: w, bias: bias, isa: isa, label: "70 channels")
        let unpackedIsExact = packed.unpacked().scalars == w.scalars
        #expect(unpackedIsExact, "\(isa): unpacked() from the direct form")
    }
}

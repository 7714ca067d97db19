// sgemm on every ISA path this machine has (and the C kernels' epilogue) against a product in
// Double: both transposes, alpha and beta (0, 1, other), edge tiles (sizes not multiples of any
// tile), K split into several blocks, the unpacked small-m path (a linear layer at batch 1),
// k = 0, and products large enough to be split across threads.

import CKernels
import Testing
import Tensors
import TestSupport

@Suite struct GemmTests {
    struct Shape: Sendable, CustomStringConvertible {
        var m: Int, n: Int, k: Int
        var description: String { "\(m)×\(n)×\(k)" }
    }

    static let shapes = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 7, n: 13, k: 5), Shape(m: 33, n: 65, k: 300), Shape(m: 1, n: 1000, k: 517),
        Shape(m: 3, n: 200, k: 77), Shape(m: 2, n: 129, k: 1), Shape(m: 100, n: 49, k: 700), Shape(m: 64, n: 400, k: 576),
        Shape(m: 250, n: 3, k: 40), Shape(m: 5, n: 7, k: 0), Shape(m: 200, n: 300, k: 129),
    ]

    static func reference(_ s: Shape, _ a: [Float], _ b: [Float], _ c: [Float], transposeA: Bool, transposeB: Bool,
                          alpha: Float, beta: Float) -> [Float] {
        var out = [Float](repeating: 0, count: s.m * s.n)
        for i in 0..<s.m {
            for j in 0..<s.n {
                var acc = 0.0
                for q in 0..<s.k {
                    let av = transposeA ? a[q * s.m + i] : a[i * s.k + q]
                    let bv = transposeB ? b[j * s.k + q] : b[q * s.n + j]
                    acc += Double(av) * Double(bv)
                }
                out[i * s.n + j] = Float(Double(alpha) * acc + (beta == 0 ? 0 : Double(beta) * Double(c[i * s.n + j])))
            }
        }
        return out
    }

    @Test(arguments: KernelISA.supported)
    func sgemmMatchesDoubleProduct(_ isa: KernelISA) {
        var g = RandomGenerator(seed: 41)
        for s in Self.shapes {
            let a = Tensor.uniform([Swift.max(1, s.m * s.k)], low: -1, high: 1, generator: &g).scalars
            let b = Tensor.uniform([Swift.max(1, s.k * s.n)], low: -1, high: 1, generator: &g).scalars
            let c0 = Tensor.uniform([s.m * s.n], low: -1, high: 1, generator: &g).scalars
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-1.5, 0.25)] {
                    var c = c0
                    KernelISA.$override.withValue(isa) {
                        c.withUnsafeMutableBufferPointer { cp in
                            sgemm(transposeA: ta, transposeB: tb, m: s.m, n: s.n, k: s.k, alpha: alpha, a, lda: ta ? s.m : Swift.max(1, s.k),
                                  b, ldb: tb ? Swift.max(1, s.k) : s.n, beta: beta, cp.baseAddress!, ldc: s.n)
                        }
                    }
                    let expected = Self.reference(s, a, b, c0, transposeA: ta, transposeB: tb, alpha: alpha, beta: beta)
                    let diff = closeness(c, expected, rtol: 1e-5, atol: 2e-5)
                    #expect(diff == nil, "\(isa) \(s) ta=\(ta) tb=\(tb) alpha=\(alpha) beta=\(beta): \(diff ?? "")")
                }
            }
        }
    }

    @Test(arguments: KernelISA.supported)
    func epilogueAddsBiasResidualAndReLU(_ isa: KernelISA) {
        var g = RandomGenerator(seed: 42)
        for s in [Shape(m: 13, n: 70, k: 300), Shape(m: 2, n: 200, k: 9), Shape(m: 30, n: 5, k: 600)] {
            let a = Tensor.uniform([s.m * s.k], low: -1, high: 1, generator: &g).scalars
            let b = Tensor.uniform([s.k * s.n], low: -1, high: 1, generator: &g).scalars
            let bias = Tensor.uniform([s.m], low: -1, high: 1, generator: &g).scalars
            let residual = Tensor.uniform([s.m * s.n], low: -1, high: 1, generator: &g).scalars
            var c = [Float](repeating: 7, count: s.m * s.n)
            bias.withUnsafeBufferPointer { bp in
                residual.withUnsafeBufferPointer { rp in
                    var epilogue = vk_epilogue(bias: bp.baseAddress, residual: rp.baseAddress, ldr: s.n, activation: Int32(VK_ACT_RELU))
                    vk_sgemm(isa.code, 0, 0, s.m, s.n, s.k, 1, a, s.k, b, s.n, 0, &c, s.n, &epilogue)
                }
            }
            let product = Self.reference(s, a, b, c, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            let expected = (0..<s.m * s.n).map { Swift.max(0, product[$0] + bias[$0 / s.n] + residual[$0]) }
            let diff = closeness(c, expected, rtol: 1e-5, atol: 2e-5)
            #expect(diff == nil, "\(isa) \(s): \(diff ?? "")")
        }
    }

    @Test func everyPathTheCPUReportsIsUsable() {
        #expect(KernelISA.supported.first == .portable)
        #expect(KernelISA.supported.contains(KernelISA.best))
        #expect(KernelISA.processDefault.isSupported)
        let tile = KernelISA.best.gemmTile
        #expect(tile.rows > 0 && tile.columns > 0)
        #expect(!KernelISA.cpuName.isEmpty)
    }
}

// conv2d forward without im2col for stride-1, undilated, ungrouped convs ("shifted GEMMs").
//
// Design. Pad the input once into P (C × Hp × Wp, Hp = H + 2·pH, Wp = W + 2·pW). Computing the
// output on a grid OH × Wp (Wp − OW junk columns per row), the column-matrix rows of kernel tap
// (ki, kj) are contiguous slices of P: row c starts at P[c] + ki·Wp + kj, consecutive c are one
// plane apart (ldb = Hp·Wp). So Y' = Σ_{ki,kj} W[:, :, ki, kj] · P_shifted is kh·kw GEMMs with K = C
// accumulating into Y' (beta = 1), reading the input in place instead of writing a K × OH·OW column
// matrix. The weights are reordered tap-major once per call; Y' is compacted into the output.
// Workspace: C·Hp·Wp + Cout·OH·Wp floats; the caller falls back to im2col when that exceeds the
// conv workspace bound or when the junk columns would waste too much (narrow outputs).

enum ShiftedConv2d {
    /// Whether the shifted form applies to `g` and pays off (checked by benchmarks).
    static func applies(_ g: Conv2dGeometry) -> Bool {
        guard g.strideH == 1, g.strideW == 1, g.dilationH == 1, g.dilationW == 1, g.groups == 1,
              g.kernelH > 1 || g.kernelW > 1 else { return false }
        let wp = g.width + 2 * g.padW, hp = g.height + 2 * g.padH
        let floats = g.inChannels * hp * wp + g.kernelW + g.outChannels * g.outH * wp
        // Measured (BENCHMARKS.md): a clear win at 56×56 outputs, even at 28×28, a loss at 14×14.
        return floats <= Conv2dKernel.workspaceFloats && g.outW >= 32
    }

    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: Conv2dGeometry) {
        let (C, H, W, Cout) = (g.inChannels, g.height, g.width, g.outChannels)
        let (kh, kw, ph, pw) = (g.kernelH, g.kernelW, g.padH, g.padW)
        let (hp, wp, OH, OW) = (H &+ 2 &* ph, W &+ 2 &* pw, g.outH, g.outW)
        let planeP = hp &* wp
        let padded = TensorStorage(uninitializedCount: C &* planeP &+ kw)
        let wide = TensorStorage(uninitializedCount: Cout &* OH &* wp)
        let taps = TensorStorage(uninitializedCount: Cout &* C &* kh &* kw)
        let P = padded.base, Yw = wide.base, Wr = taps.base
        // Weights tap-major: Wr[t][co][c] = w[co][c][t].
        let kk = kh &* kw
        for co in 0..<Cout {
            for c in 0..<C {
                let src = w + (co &* C &+ c) &* kk
                for t in 0..<kk { Wr[(t &* Cout &+ co) &* C &+ c] = src[t] }
            }
        }
        for n in 0..<g.batch {
            let xn = x + n &* C &* H &* W
            // Zero-padded copy of the image (plus slack read by the last taps' junk columns).
            Threading.parallelFor(C, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(planeP, 1))) { c0, c1 in
                for c in c0..<c1 {
                    let dst = P + c &* planeP
                    dst.initialize(repeating: 0, count: ph &* wp)
                    for i in 0..<H {
                        let row = dst + (i &+ ph) &* wp
                        row.initialize(repeating: 0, count: pw)
                        (row + pw).update(from: xn + (c &* H &+ i) &* W, count: W)
                        (row + (pw &+ W)).initialize(repeating: 0, count: wp &- pw &- W)
                    }
                    (dst + (ph &+ H) &* wp).initialize(repeating: 0, count: (hp &- ph &- H) &* wp)
                }
            }
            (P + C &* planeP).initialize(repeating: 0, count: kw)
            for t in 0..<kk {
                let (ki, kj) = (t / kw, t % kw)
                sgemm(transposeA: false, transposeB: false, m: Cout, n: OH &* wp, k: C,
                      Wr + t &* Cout &* C, lda: C, P + (ki &* wp &+ kj), ldb: planeP,
                      beta: t == 0 ? 0 : 1, Yw, ldc: OH &* wp)
            }
            // Compact OH × Wp rows into OH × OW, adding the bias.
            let yn = y + n &* Cout &* OH &* OW
            Threading.parallelFor(Cout, grain: Swift.max(1, Threading.minimumParallelElements / Swift.max(OH &* OW, 1))) { c0, c1 in
                for co in c0..<c1 {
                    let b = bias?[co] ?? 0
                    for i in 0..<OH {
                        let src = Yw + (co &* OH &+ i) &* wp, dst = yn + (co &* OH &+ i) &* OW
                        for j in 0..<OW { dst[j] = src[j] + b }
                    }
                }
            }
        }
        withExtendedLifetime((padded, wide, taps)) {}
    }
}

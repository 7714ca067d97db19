// The one place that decides how a conv2d runs.
//
// `ConvAlgorithm.choose` maps (shape, direction, ISA, threads) to an algorithm; every conv call
// asks it. VISION_CONV_ALGO=<name> (read once) forces an algorithm wherever it applies, and
// `ConvAlgorithm.$override` does the same for a scope (tests run every algorithm on every shape).
// An algorithm that does not implement the requested direction or shape falls back to the
// chooser's pick, so a forced name never fails. The older switches (VISION_CONV_TILED=0,
// VISION_CONV_SHIFTED=0, VISION_CONV_BATCHED=0) still remove their algorithm from the choice.
// A conv with kernel taps that read only padding is first cropped to its live taps (LiveTaps);
// the choice is then made for the cropped conv.
//
// Forward: the depthwise stencil kernel for depthwise convs (groups = Cin), Winograd F(4×4, 3×3)
// for 3×3 stride-1 convs with enough tiles and channels
// (`prefersWinograd`, with its measurements), else the direct kernel for ungrouped convs with
// K ≥ 512 (`prefersDirect`), else implicit GEMM on our kernels (the gather fused into B packing);
// all with the fused epilogue. Input gradient of stride-1 convs that do not
// widen: a forward conv of dy with the flipped, transposed weights (`chooseInputGradient`), by the
// forward rule's pick for that conv with the weights prepared per call. Weight gradients of
// ungrouped convs: the direct kernel's weight-gradient form for ≥ 64 channels and ≥ 1024 output
// pixels (`prefersDirectWeightGradient`), else the implicit GEMM's (`chooseWeightGradient`). The other
// gradients (strided or widening convs' input gradient, grouped convs' weight gradient): im2col +
// GEMM pipelines on our GEMM: batched for small maps of a batch, tiled per thread with more than
// one thread, else plain.

import Foundation

/// How a conv2d is computed.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    /// Our packed GEMM with the im2col gather done while packing each B panel, weights packed once
    /// per model in inference, bias/residual/ReLU applied as tiles are stored (forward only).
    case implicitGemm = "implicit-gemm"
    /// im2col into a bounded workspace, then GEMM, one tile after another (forward and backward).
    case im2col
    /// Stride-1 convs as kh·kw shifted GEMMs over a padded copy of the input (forward only).
    case shifted
    /// im2col + GEMM pipelines, one per thread (forward and backward; needs > 1 thread).
    case tiled
    /// Several small images per GEMM (forward and backward; batches of small maps).
    case batched
    /// Winograd F(4×4, 3×3): 3×3 stride-1 convs as 36 GEMMs on transformed 6×6 tiles, weights
    /// transformed once per model in inference, the epilogue fused into the output transform
    /// (forward only; padding ≤ 2, no dilation, one group).
    case winograd
    /// Direct: panels of output-channel vectors times broadcast input pixels read in place (no
    /// gather), weights packed once per model in inference, the epilogue fused into the store
    /// (forward only; one group).
    case direct
    /// Depthwise: each output plane as its input plane's kh·kw-tap stencil, vectors of outputs
    /// along the rows, the epilogue fused (forward for groups = Cin, Cout a multiple of Cin;
    /// both gradients for one output channel per input channel).
    case depthwise

    /// Directions a conv runs in.
    public enum Direction: Sendable { case forward, backward }

    /// The algorithm forced for the current task (tests, benchmarks); nil lets the chooser pick.
    @TaskLocal public static var override: ConvAlgorithm?

    /// VISION_CONV_ALGO, read once (an unknown name is reported and ignored).
    public static let environmentOverride: ConvAlgorithm? = {
        guard let name = ProcessInfo.processInfo.environment["VISION_CONV_ALGO"], !name.isEmpty else { return nil }
        guard let algorithm = ConvAlgorithm(rawValue: name.lowercased()) else {
            KernelISA.warn("VISION_CONV_ALGO=\(name) is not one of \(allCases.map(\.rawValue).joined(separator: ", ")); ignored")
            return nil
        }
        return algorithm
    }()

    /// Whether this algorithm can run `g` in `direction`.
    public func applies(to g: Conv2dGeometry, _ direction: Direction) -> Bool {
        switch self {
        case .implicitGemm: direction == .forward
        case .im2col: true
        case .shifted: direction == .forward && Conv2dKernel.useShifted && ShiftedConv2d.applies(g)
        case .tiled: TiledConv2d.applies(g)
        case .batched: BatchedConv2d.applies(g)
        case .winograd: direction == .forward && WinogradConv2d.applies(g)
        case .direct: direction == .forward && DirectConvolution.applies(g)
        case .depthwise: direction == .forward ? DepthwiseConvolution.applies(g) : DepthwiseConvolution.appliesToBackward(g)
        }
    }

    /// Whether the input gradient of `g` can be computed as a forward conv of dy (stride 1, no
    /// dilation, one group, padding at most kernel − 1): the implicit GEMM's backward-data form.
    public static func inputGradientIsConvolution(_ g: Conv2dGeometry) -> Bool {
        g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 && g.groups == 1
            && g.padH <= g.kernelH - 1 && g.padW <= g.kernelW - 1
    }

    /// Whether the default input gradient of `g` is the forward conv of dy: where it applies and
    /// `g` does not widen (Cout ≤ Cin). The conv of dy gathers Cout·kh·kw values per input pixel,
    /// col2im scatters Cin·kh·kw per output pixel, so widening convs (a small CNN's 32 → 64, a
    /// bottleneck's 1×1 64 → 256, which is then one plain GEMM) go the other way: 4% faster small-CNN
    /// steps measured on a Zen 5, 2026-12-02.
    public static func prefersInputGradientAsConvolution(_ g: Conv2dGeometry) -> Bool {
        inputGradientIsConvolution(g) && g.outChannels <= g.inChannels
    }

    /// The algorithm for the input gradient of `g`: `implicitGemm` (a forward conv of dy with the
    /// flipped, transposed weights) where that applies, unless a backward algorithm is forced,
    /// which then computes it too; otherwise the backward choice.
    public static func chooseInputGradient(for g: Conv2dGeometry) -> ConvAlgorithm {
        let forced = override ?? environmentOverride
        if let forced, forced != .implicitGemm, forced.applies(to: g, .backward) { return forced }
        if prefersInputGradientAsConvolution(g) { return .implicitGemm }
        return choose(for: g, .backward)
    }

    /// The algorithm for the weight (and bias) gradient of `g`: `direct` where
    /// `prefersDirectWeightGradient` says so, else `implicitGemm` (dy times the input's columns
    /// gathered and transposed into B panels, CKernels/conv_wgrad.c) for ungrouped convs, unless a
    /// backward algorithm is forced, which then computes it (`direct` forced computes every
    /// ungrouped weight gradient, `implicitGemm` forced none by the direct kernel); otherwise the backward
    /// choice. (Grouped and depthwise convs have GEMMs too small per group for the 12 × 32 tile.)
    public static func chooseWeightGradient(for g: Conv2dGeometry) -> ConvAlgorithm {
        let forced = override ?? environmentOverride
        if let forced, forced != .implicitGemm, forced.applies(to: g, .backward) { return forced }
        if forced == .direct, DirectConvolution.appliesToWeightGradient(g) { return .direct }
        if forced == nil, prefersDirectWeightGradient(g) { return .direct }
        if g.groups == 1 { return .implicitGemm }
        return choose(for: g, .backward)
    }

    /// Whether the direct weight gradient (DirectConvolution.accumulateWeightGradient) beats the
    /// implicit GEMM's on `g`: ungrouped convs with at least 64 output channels (a whole AVX-512
    /// panel) and at least 1024 output pixels in the batch (the contraction; each tile's sums are
    /// added to dW channel by channel once, which a short contraction does not amortise).
    ///
    /// Measured 2026-12-02 on the Zen 5 EPYC, `vision bench train`, 2 threads, fastest of 8 steps
    /// in three alternating rounds, implicit GEMM for every weight gradient → this rule → direct
    /// for every ungrouped one: ResNet-18 b32 @ 64² 116–121 → 108–112 → 108–130 ms, b64 @ 32²
    /// 75–78 → 74–75 → 74–91 ms, the small CNN b64 @ 28² 6.6–7.0 → 6.2–6.6 → 7.6–8.9 ms (its first
    /// conv has 32 channels: half an AVX-512 panel).
    static func prefersDirectWeightGradient(_ g: Conv2dGeometry) -> Bool {
        DirectConvolution.appliesToWeightGradient(g) && g.outChannels >= 64 && g.batch &* g.outH &* g.outW >= 1024
    }

    /// The algorithm for `g` in `direction`: a forced one if it applies, else the default rule.
    /// `weightsPrepared` (forward): whether the weights are packed once and kept (inference), so
    /// that a weight transform made on first use is reused; false when they are packed per call.
    public static func choose(for g: Conv2dGeometry, _ direction: Direction, weightsPrepared: Bool = true) -> ConvAlgorithm {
        if let forced = override ?? environmentOverride, forced.applies(to: g, direction) { return forced }
        switch direction {
        case .forward:
            if DepthwiseConvolution.applies(g) { return .depthwise }
            if prefersWinograd(g, weightsPrepared: weightsPrepared) { return .winograd }
            return prefersDirect(g) ? .direct : .implicitGemm
        case .backward:
            if DepthwiseConvolution.appliesToBackward(g) { return .depthwise }
            if ConvAlgorithm.batched.applies(to: g, .backward) { return .batched }
            if ConvAlgorithm.tiled.applies(to: g, .backward) { return .tiled }
            return .im2col
        }
    }

    /// Whether the direct kernel beats the implicit GEMM on `g` forward: ungrouped convs with
    /// K = Cin·kh·kw ≥ 512, and on the AVX2 path a stem (≤ 4 input channels, a 5×5 or larger kernel).
    ///
    /// Measured 2026-12-02 on the Zen 5 EPYC (family 26 model 2), `vision bench conv` (ResNet-18
    /// and -50 at 224²), inference form (weights packed once, bias + ReLU fused), implicit GEMM →
    /// direct in GFLOP/s, 2 threads unless noted:
    ///
    /// | conv (M × N × K) | AVX-512 b1 | AVX-512 b16 | AVX2 b1 |
    /// |---|---|---|---|
    /// | 512 × 49 × 4608 (layer4 3×3) | 314 → 428 | 344 → 426 | 142 → 207 |
    /// | 512 × 49 × 2304 (layer4.0 3×3/2) | 301 → 366 | 314 → 413 | 154 → 173 |
    /// | 256 × 196 × 2304 (layer3 3×3) | 308 → 424 | 352 → 406 | 181 → 216 |
    /// | 256 × 196 × 1152 (layer3.0 3×3/2) | 289 → 388 | 239 → 344 | 180 → 207 |
    /// | 128 × 784 × 576 (layer2.0 3×3/2) | 360 → 345 | 297 → 314 | 189 → 202 |
    /// | 512 × 196 × 1024, 512 × 49 × 2048 (ResNet-50 layer4 1×1) | 322 → 424, 273 → 402 | | |
    /// | 128 × 784 × 512, 256 × 784 × 512 (ResNet-50 layer2/3 1×1) | 299 → 345, 345 → 352 | | |
    /// | 128 × 3136 × 256, 512 × 784 × 256 (ResNet-50 1×1, 1×1/2) | 355 → 296, 385 → 297 | | |
    /// | 256 × 3136 × 64, 512 × 784 × 128 (ResNet-50 1×1) | 402 → 155, 372 → 231 | | |
    /// | 64 × 12544 × 147 (the 7×7/2 stem) | 315 → 257 | 248 → 253 | 164 → 171 |
    ///
    /// The direct kernel reads the input in place and wastes no columns on a 7 × 7 map, but writes
    /// its sums channel by channel (a tile's 6 pixels of each channel) once per tile: with K below
    /// ~512 that store is a large part of the tile's work and the implicit GEMM's vector stores win.
    /// A stem is the exception on AVX2, where the implicit GEMM's gather of a 3-channel input with
    /// stride 2 into 16-column panels costs more than the direct kernel's stores: 164 → 171 GFLOP/s
    /// on the Zen 5 (above), and on the Zen 3 EPYC (family 25 model 1, AVX2 only, 2026-12-04,
    /// `vision bench conv --only conv1`, inference form, three alternating pairs of 5 rounds)
    /// 3.89 / 3.24 / 3.35 ms → 3.00 / 2.91 / 1.90 ms.
    static func prefersDirect(_ g: Conv2dGeometry) -> Bool {
        guard DirectConvolution.applies(g) else { return false }
        if g.kPerGroup >= 512 { return true }
        let stem = g.inChannels <= 4 && g.kernelH &* g.kernelW >= 25
        return stem && KernelISA.active == .avx2
    }

    /// Whether Winograd beats the implicit GEMM on `g` forward; `weightsPrepared` says whether its
    /// weight transform is kept across calls (inference) or made per call (training).
    ///
    /// Measured 2026-12-02 on the Zen 5 EPYC (family 26 model 2), kernels alone with the weights
    /// prepared, the two alternating in one process, fastest of ~10–40 runs each (the machine was
    /// shared and busy; minima are what repeat), as implicit-GEMM time / Winograd time, on
    /// 1 | 2 threads (tiles = 4×4 output tiles of the batch):
    ///
    /// | Cin→Cout @ map, batch (tiles) | AVX-512 | AVX2 |
    /// |---|---|---|
    /// | 64 @ 56², b1 (196): ResNet layer1 | 2.17 \| 2.17 | 2.42 \| 2.38 |
    /// | 128 @ 28², b1 (49): layer2 | 2.07 \| 2.16 | 2.38 \| 2.36 |
    /// | 256 @ 14², b1 (16): layer3 | 1.07 \| 1.17 | 2.40 \| 1.95 |
    /// | 512 @ 7², b1 (4): layer4 | 0.34 \| 0.33 | 0.59 \| 0.57 |
    /// | 64 @ 56², 128 @ 28², 256 @ 14², 512 @ 7², b16 | 2.12, 2.26, 1.94, 1.63 \| 1.98, 2.92, 2.93, 1.60 | 2.08, 2.83, 2.63, 1.56 \| 2.60, 3.08, 3.11, 1.66 |
    /// | 512 @ 7², b4 (16) | 0.89 \| 0.83 | 1.75 \| 1.92 |
    /// | 256 @ 14², b2 (32) | 1.56 \| 1.44 | 2.41 \| 2.22 |
    /// | VGG-16 b1: 64 @ 224², 128 @ 112², 256 @ 56², 512 @ 28² | 3.22, 2.18, 1.80, 1.70 \| 3.44, 3.68, 2.95, 1.56 | 3.11, 3.18, 4.53, 1.60 \| 2.84, 3.13, 3.08, 1.93 |
    /// | 512 @ 14², b1 (16): VGG-16 block 5 | 0.89 \| 0.87 | 2.47 \| 1.70 |
    /// | 3→64 @ 224², b1: VGG-16's first conv | 0.83 \| 0.78 | 0.58 \| 0.57 |
    /// | 16 @ 32² (64), 32 @ 16² (16), b1 | 1.77, 1.00 \| 1.59, 0.65 | 2.48, 2.11 \| 2.26, 1.42 |
    /// | 64 @ 8², b64 (256); 64 @ 16², b32 (512); 128 @ 4², b64 (64) (training shapes, 1 thread) | 1.44, 1.97, 1.42 | 2.01, 2.40, 2.19 |
    ///
    /// Winograd's transformed weight is 4× the implicit GEMM's, streamed once per block of NR tiles
    /// (32 on AVX-512, 16 on AVX2 and portable), and a partial block costs a whole one: below one
    /// full block it loses (16 tiles on AVX-512: 0.65–1.17; 4 tiles anywhere) and with few input
    /// channels (the transforms dominate). Made per call (training), the transform (~30–60 ns per
    /// (Cout, Cin) pair on one thread, 15 ms for 512 × 512) pays only with many tiles: ≥ 256
    /// (derived: the GEMM saves ~0.7 ns per pair and tile at 300 GFLOP/s). Model level, same day:
    /// BENCHMARKS.md.
    static func prefersWinograd(_ g: Conv2dGeometry, weightsPrepared: Bool) -> Bool {
        guard WinogradConv2d.applies(g), g.inChannels >= 16, g.outChannels >= 16 else { return false }
        let tiles = WinogradConv2d.tiles(g)
        // A 4×4 output tile over a smaller map computes its whole 6×6 transform for the pixels it
        // covers: at 2×2 maps (a quarter of the tile) 4.5 ms against the direct kernel's 1.5
        // (ResNet-18's layer4 at 64² inputs, batch 32, Zen 5, 2 threads); at least half is used.
        guard g.batch &* g.outH &* g.outW &* 2 >= tiles &* 16 else { return false }
        return tiles >= KernelISA.active.gemmTile.columns && (weightsPrepared || tiles >= 256)
    }
}

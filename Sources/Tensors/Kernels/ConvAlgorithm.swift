// The one place that decides how a conv2d runs.
//
// `ConvAlgorithm.choose` maps (shape, direction, ISA, threads) to an algorithm; every conv call
// asks it. VISION_CONV_ALGO=<name> (read once) forces an algorithm wherever it applies, and
// `ConvAlgorithm.$override` does the same for a scope (tests run every algorithm on every shape).
// An algorithm that does not implement the requested direction or shape falls back to the
// chooser's pick, so a forced name never fails. The older switches (VISION_CONV_TILED=0,
// VISION_CONV_SHIFTED=0, VISION_CONV_BATCHED=0) still remove their algorithm from the choice.
//
// Forward: Winograd F(4×4, 3×3) for 3×3 stride-1 convs with enough tiles and channels
// (`prefersWinograd`, with its measurements), else implicit GEMM on our kernels (the gather fused
// into B packing); both with the fused epilogue. Input gradient of stride-1 convs: the same implicit GEMM on dy with the flipped,
// transposed weights (`chooseInputGradient`). Weight gradients (and the other input gradients):
// im2col + GEMM pipelines on our GEMM: batched for small maps of a batch, tiled per thread with more
// than one thread, else plain.

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
        }
    }

    /// Whether the input gradient of `g` can be computed as a forward conv of dy (stride 1, no
    /// dilation, one group, padding at most kernel − 1): the implicit GEMM's backward-data form.
    public static func inputGradientIsConvolution(_ g: Conv2dGeometry) -> Bool {
        g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 && g.groups == 1
            && g.padH <= g.kernelH - 1 && g.padW <= g.kernelW - 1
    }

    /// The algorithm for the input gradient of `g`: `implicitGemm` (a forward conv of dy with the
    /// flipped, transposed weights) where that applies, unless a backward algorithm is forced,
    /// which then computes it too; otherwise the backward choice.
    public static func chooseInputGradient(for g: Conv2dGeometry) -> ConvAlgorithm {
        let forced = override ?? environmentOverride
        if let forced, forced != .implicitGemm, forced.applies(to: g, .backward) { return forced }
        if inputGradientIsConvolution(g) { return .implicitGemm }
        return choose(for: g, .backward)
    }

    /// The algorithm for `g` in `direction`: a forced one if it applies, else the default rule.
    /// `weightsPrepared` (forward): whether the weights are packed once and kept (inference), so
    /// that a weight transform made on first use is reused; false when they are packed per call.
    public static func choose(for g: Conv2dGeometry, _ direction: Direction, weightsPrepared: Bool = true) -> ConvAlgorithm {
        if let forced = override ?? environmentOverride, forced.applies(to: g, direction) { return forced }
        switch direction {
        case .forward:
            return prefersWinograd(g, weightsPrepared: weightsPrepared) ? .winograd : .implicitGemm
        case .backward:
            if ConvAlgorithm.batched.applies(to: g, .backward) { return .batched }
            if ConvAlgorithm.tiled.applies(to: g, .backward) { return .tiled }
            return .im2col
        }
    }

    /// Whether Winograd beats the implicit GEMM on `g` forward; `weightsPrepared` says whether its
    /// weight transform is kept across calls (inference) or made per call (training).
    ///
    /// Measured 2026-12-02 on the Zen 5 EPYC, 2 threads, kernels alone with weights cached, the two
    /// alternating in one process (a shared, busy machine: ratios vary ±30% between runs), as
    /// implicit-GEMM time / Winograd time, AVX-512 | AVX2 (tiles = 4×4 output tiles of the batch):
    ///
    /// | shape (Cin→Cout @ map) | batch 1 | batch 16 |
    /// |---|---|---|
    /// | 64 @ 56² (ResNet layer1; 196 tiles at b1) | 1.9 \| 2.2 | 1.8 \| 2.3 |
    /// | 128 @ 28² (layer2; 49) | 1.3–3.6 \| 1.6 | 1.8 \| 2.5 |
    /// | 256 @ 14² (layer3; 16) | 0.66–0.87 \| 0.5–1.9 | 1.3 \| 1.9 |
    /// | 512 @ 7² (layer4; 4) | 0.20–0.32 \| 0.5–0.8 | 1.4 \| 1.6 |
    /// | 512 @ 7², batch 2 / 4 / 8 (8 / 16 / 32 tiles) | 0.3–0.5 / 0.8 / 1.1–1.4 \| 1.0–1.6 / 1.3 / 1.5–1.9 | |
    /// | VGG-16: 64 @ 224², 64→128 @ 112², 128 @ 112² | 2.9, 2.1, 2.9 \| 2.4, 2.4, 3.0 | |
    /// | VGG-16: 128→256 @ 56², 256 @ 56², 256→512 @ 28², 512 @ 28² | 1.5, 1.65, 1.5, 1.7 \| 2.8, 2.5, 2.2, 1.6 | |
    /// | VGG-16: 512 @ 14² (16 tiles) | 0.86–0.91 \| 1.4–1.75 | |
    /// | 3→64 @ 224² (VGG's first conv) | 0.66 \| 0.39 | |
    /// | 16 @ 32² (64 tiles), 32 @ 16² (16 tiles) | 1.2, 0.55 \| 2.1, 1.25 | |
    ///
    /// Winograd's weight transform is 4× the implicit GEMM's weight, read once per block of NR
    /// tiles, and a partial block costs a whole one: it loses below one full block (NR tiles: 32 on
    /// AVX-512, 16 on AVX2 and portable) and with few channels (the transforms dominate). Made per
    /// call (~30–60 ns per (Cout, Cin) pair on one thread, plus fresh pages), the transform pays
    /// only with ≥ 256 tiles (derived: the GEMM saves ~0.7 ns per pair and tile at 300 GFLOP/s).
    static func prefersWinograd(_ g: Conv2dGeometry, weightsPrepared: Bool) -> Bool {
        guard WinogradConv2d.applies(g), g.inChannels >= 16, g.outChannels >= 16 else { return false }
        let tiles = WinogradConv2d.tiles(g)
        return tiles >= KernelISA.active.gemmTile.columns && (weightsPrepared || tiles >= 256)
    }
}

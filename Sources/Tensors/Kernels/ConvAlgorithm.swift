// The one place that decides how a conv2d runs.
//
// `ConvAlgorithm.choose` maps (shape, direction, ISA, threads) to an algorithm; every conv call
// asks it. VISION_CONV_ALGO=<name> (read once) forces an algorithm wherever it applies, and
// `ConvAlgorithm.$override` does the same for a scope (tests run every algorithm on every shape).
// An algorithm that does not implement the requested direction or shape falls back to the
// chooser's pick, so a forced name never fails. The older switches (VISION_CONV_TILED=0,
// VISION_CONV_SHIFTED=0, VISION_CONV_BATCHED=0) still remove their algorithm from the choice.
//
// Forward: implicit GEMM on our kernels for every shape (the gather fused into B packing, fused
// epilogue). Input gradient of stride-1 convs: the same implicit GEMM on dy with the flipped,
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
    public static func choose(for g: Conv2dGeometry, _ direction: Direction) -> ConvAlgorithm {
        if let forced = override ?? environmentOverride, forced.applies(to: g, direction) { return forced }
        switch direction {
        case .forward:
            return prefersWinograd(g) ? .winograd : .implicitGemm
        case .backward:
            if ConvAlgorithm.batched.applies(to: g, .backward) { return .batched }
            if ConvAlgorithm.tiled.applies(to: g, .backward) { return .tiled }
            return .im2col
        }
    }

    /// Whether Winograd beats the implicit GEMM on `g` (measured; see the table above).
    static func prefersWinograd(_ g: Conv2dGeometry) -> Bool {
        guard WinogradConv2d.applies(g) else { return false }
        return false
    }
}

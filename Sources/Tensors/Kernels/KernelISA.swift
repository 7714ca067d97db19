// Which instruction-set path our own kernels (the CKernels target) run on.
//
// Chosen once per process: the widest path the CPU and OS support (cpuid + XCR0, checked in C),
// unless VISION_ISA=avx512|avx2|portable asks for another. Asking for a path the machine cannot
// run prints a warning and keeps the best one (it would otherwise die of SIGILL). Tests and
// benchmarks switch paths for a scope with `KernelISA.$override` instead of the environment, so one
// process can check every path the machine has. VISION_GEMM=openblas sends plain GEMMs to
// OpenBLAS instead of our kernels (for comparisons; conv keeps its own kernels).

import CKernels
import Foundation

/// An instruction-set path of SwiftVision's own GEMM and convolution kernels.
public enum KernelISA: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Plain C, vectorised by the compiler for the baseline ISA (SSE2 on x86-64, NEON on aarch64).
    case portable
    /// AVX2 with FMA3: 8-float vectors.
    case avx2
    /// AVX-512 F/BW/DQ/VL: 16-float vectors.
    case avx512

    /// The path's code for the CKernels functions (VK_ISA_*).
    public var code: Int32 {
        switch self {
        case .portable: Int32(VK_ISA_PORTABLE)
        case .avx2: Int32(VK_ISA_AVX2)
        case .avx512: Int32(VK_ISA_AVX512)
        }
    }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512F"
        }
    }

    /// Whether this CPU and OS can run the path.
    public var isSupported: Bool { vk_isa_supported(code) != 0 }

    /// Every path this machine can run, narrowest first.
    public static var supported: [KernelISA] { allCases.filter(\.isSupported) }

    /// The widest path this machine can run.
    public static var best: KernelISA { supported.last ?? .portable }

    /// The process's path: VISION_ISA if set and supported, otherwise `best` (read once).
    public static let processDefault: KernelISA = {
        guard let requested = ProcessInfo.processInfo.environment["VISION_ISA"], !requested.isEmpty else { return best }
        guard let isa = KernelISA(rawValue: requested.lowercased()) else {
            warn("VISION_ISA=\(requested) is not one of portable, avx2, avx512; using \(best.rawValue)")
            return best
        }
        guard isa.isSupported else {
            warn("VISION_ISA=\(requested): this CPU cannot run it; using \(best.rawValue)")
            return best
        }
        return isa
    }()

    /// A path forced for the current task (tests and benchmarks); nil means `processDefault`.
    @TaskLocal public static var override: KernelISA?

    /// The path kernels started from this task use.
    public static var active: KernelISA {
        if let override, override.isSupported { return override }
        return processDefault
    }

    /// Rows and columns of this path's GEMM register tile.
    public var gemmTile: (rows: Int, columns: Int) { (Int(vk_gemm_mr(code)), Int(vk_gemm_nr(code))) }

    /// The CPU's model name (cpuid brand string, or /proc/cpuinfo).
    public static let cpuName: String = {
        var buffer = [CChar](repeating: 0, count: 128)
        vk_cpu_name(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Whether plain GEMMs go to OpenBLAS (VISION_GEMM=openblas) instead of our kernels.
    public static let gemmUsesOpenBLAS = ProcessInfo.processInfo.environment["VISION_GEMM"]?.lowercased() == "openblas"

    /// Prints `warning: message` on standard error (the kernels' environment settings).
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}

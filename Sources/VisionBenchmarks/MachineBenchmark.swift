// The machine a benchmark ran on, for `vision bench machine` and the first line of every other
// `vision bench` report: CPU model, the kernels' ISA path, the thread count, and the measured
// FMA peak of each ISA path the machine supports at 1 thread and at `Threading.count` threads.
//
// Design. The peak is measured, not computed from a data sheet: the machine is a shared VM whose
// clock and vector units we do not know. `vk_fma_peak_loop` (CKernels) runs independent FMA
// chains on the path's widest vectors, so nothing but the FMA ports limits it. One measurement:
// calibrate the iteration count on one thread (double until a run takes ≥ 20 ms or half the
// target, then scale to `seconds`), then time the loop on one thread and on N threads at once
// (`Threading.parallelFor` with one chunk per thread; the wall time of the whole loop counts, so a
// thread the kernel schedules late lowers the number, as it would a real parallel kernel). Runs
// alternate one thread / N threads and the best of `repeats` is kept: a neighbour only ever slows
// a run down. Peaks measured with the default settings are cached per process (`peak(isa:threads:)`)
// so that `vision bench models` can report "% of peak" without measuring twice. On a VM whose vCPUs
// are hyperthreads of one core the N-thread peak is about the one-thread peak (the FMA units are
// shared); the text report says so when N threads scale below 0.75·N.

import CKernels
import Foundation
import Synchronization
import Tensors

/// The machine description and FMA-peak measurement behind `vision bench machine`.
public enum MachineBenchmark {
    /// CPU, ISA path and thread count: the keys every `vision bench --json` output carries.
    public struct Machine: Sendable, Codable, Equatable {
        /// The CPU's model name (`KernelISA.cpuName`).
        public var cpu: String
        /// The ISA path our kernels use (`KernelISA.active.rawValue`: portable, avx2, avx512).
        public var isa: String
        /// SwiftVision's thread count (`Threading.count`).
        public var threads: Int
    }

    /// The measured FMA peak of one ISA path.
    public struct Peak: Sendable, Codable {
        /// The path (`KernelISA.rawValue`).
        public var isa: String
        /// GFLOP/s of one thread.
        public var singleThreadGflops: Double
        /// GFLOP/s of `threads` threads running at once (the whole loop's wall time).
        public var allThreadsGflops: Double
        /// Threads of `allThreadsGflops`.
        public var threads: Int
        /// allThreadsGflops / singleThreadGflops (ideally `threads`).
        public var scaling: Double { singleThreadGflops > 0 ? allThreadsGflops / singleThreadGflops : 0 }
    }

    /// What `vision bench machine` reports.
    public struct Result: Sendable, Codable {
        public var cpu: String
        /// The active path (`KernelISA.active.rawValue`).
        public var isa: String
        public var threads: Int
        /// Every path the machine can run, narrowest first.
        public var supportedISAs: [String]
        /// Seconds of FMA work per thread in each timed run.
        public var secondsPerThread: Double
        /// Timed runs per measurement (the best is kept).
        public var repeats: Int
        /// One entry per supported path, narrowest first.
        public var peaks: [Peak]
    }

    /// Per-thread seconds of work in one timed run, by default.
    public static let defaultSeconds = 0.2
    /// Timed runs per measurement, by default (the best is kept).
    public static let defaultRepeats = 5

    /// This process's machine description.
    public static var machine: Machine {
        Machine(cpu: KernelISA.cpuName, isa: KernelISA.active.rawValue, threads: Threading.count)
    }

    /// The line every `vision bench` text report starts with:
    /// `CPU: <name> · ISA: <active path> · threads: N`.
    public static func header(threads: Int = Threading.count) -> String {
        header(cpu: KernelISA.cpuName, isa: KernelISA.active.description, threads: threads)
    }

    private static func header(cpu: String, isa: String, threads: Int) -> String {
        "CPU: \(cpu) · ISA: \(isa) · threads: \(threads)"
    }

    /// Measures every supported path at 1 and `Threading.count` threads: best of `repeats` runs of
    /// `seconds` of work per thread. With the default settings the peaks come from (and go to)
    /// the per-process cache.
    public static func run(seconds: Double = defaultSeconds, repeats: Int = defaultRepeats) -> Result {
        let threads = Threading.count
        let useCache = seconds == defaultSeconds && repeats == defaultRepeats
        let peaks = KernelISA.supported.map { isa -> Peak in
            let one: Double, all: Double
            if useCache {
                all = peak(isa: isa, threads: threads)  // first: that measurement caches the one-thread peak too
                one = peak(isa: isa, threads: 1)
            } else {
                let measured = measure(isa: isa, threads: threads, seconds: seconds, repeats: repeats)
                (one, all) = (measured.one, measured.all)
            }
            return Peak(isa: isa.rawValue, singleThreadGflops: one, allThreadsGflops: all, threads: threads)
        }
        return Result(cpu: KernelISA.cpuName, isa: KernelISA.active.rawValue, threads: threads,
                      supportedISAs: KernelISA.supported.map(\.rawValue), secondsPerThread: seconds,
                      repeats: max(1, repeats), peaks: peaks)
    }

    /// The FMA peak of `isa` at `threads` threads (clamped to 1...`Threading.count`), in GFLOP/s,
    /// measured with the default settings the first time it is asked for in this process. A path
    /// the machine cannot run measures the portable loop (what `vk_fma_peak_loop` falls back to).
    public static func peak(isa: KernelISA, threads: Int) -> Double {
        let n = min(max(threads, 1), Threading.count)
        if let cached = cache.withLock({ $0[key(isa, n)] }) { return cached }
        // One alternating measurement gives both thread counts; keep both (first measurement wins).
        let (one, all) = measure(isa: isa, threads: n, seconds: defaultSeconds, repeats: defaultRepeats)
        return cache.withLock { c in
            if c[key(isa, 1)] == nil { c[key(isa, 1)] = one }
            if c[key(isa, n)] == nil { c[key(isa, n)] = all }
            return c[key(isa, n)] ?? all
        }
    }

    private static func key(_ isa: KernelISA, _ threads: Int) -> String { "\(isa.rawValue)/\(threads)" }

    /// GFLOP/s by path and thread count ("avx512/2"), measured with the default settings.
    private static let cache = Mutex<[String: Double]>([:])

    /// Best-of-`repeats` GFLOP/s of `isa` on one thread and on `threads` threads, runs alternating.
    static func measure(isa: KernelISA, threads: Int, seconds: Double, repeats: Int) -> (one: Double, all: Double) {
        let n = min(max(threads, 1), Threading.count)
        let iterations = calibrate(isa: isa, seconds: seconds)
        var one = 0.0, all = 0.0
        for _ in 0..<max(1, repeats) {
            one = max(one, gflops(isa: isa, threads: 1, iterations: iterations))
            if n > 1 { all = max(all, gflops(isa: isa, threads: n, iterations: iterations)) }
        }
        return (one, n > 1 ? all : one)
    }

    /// Iterations of `vk_fma_peak_loop` that take about `seconds` on one thread.
    static func calibrate(isa: KernelISA, seconds: Double) -> Int {
        let target = seconds.isFinite ? max(seconds, 1e-4) : defaultSeconds
        let enough = min(0.02, target / 2)
        var iterations = 1 << 12
        while true {
            let elapsed = Timing.timed { vk_fma_peak_loop(cCode(isa), iterations) }.seconds
            if elapsed >= enough || iterations >= 1 << 40 {
                let scaled = Double(iterations) * target / max(elapsed, 1e-9)
                return Int(min(max(scaled, 1), Double(1 << 40)))
            }
            iterations *= 2
        }
    }

    /// GFLOP/s of one run of `iterations` on each of `threads` threads at once (one thread: the
    /// caller's), from the flops the loops report and the wall time of the whole run.
    static func gflops(isa: KernelISA, threads: Int, iterations: Int) -> Double {
        let flops = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
        defer { flops.deallocate() }
        flops.initialize(repeating: 0)
        let seconds = Timing.timed {
            if threads == 1 {
                flops[0] = vk_fma_peak_loop(cCode(isa), iterations)
            } else {
                Threading.parallelFor(threads, grain: 1) { lo, hi in
                    for t in lo..<hi { flops[t] = vk_fma_peak_loop(cCode(isa), iterations) }
                }
            }
        }.seconds
        return flops.reduce(0, +) / max(seconds, 1e-9) / 1e9
    }

    /// CKernels' code for `isa` (VK_ISA_*).
    static func cCode(_ isa: KernelISA) -> Int32 {
        switch isa {
        case .portable: Int32(VK_ISA_PORTABLE)
        case .avx2: Int32(VK_ISA_AVX2)
        case .avx512: Int32(VK_ISA_AVX512)
        }
    }

    /// The report as aligned text lines.
    public static func format(_ r: Result) -> String {
        let name = { (raw: String) in KernelISA(rawValue: raw)?.description ?? raw }
        let requested = ProcessInfo.processInfo.environment["VISION_ISA"].map { "VISION_ISA=\($0)" } ?? "VISION_ISA picks another"
        var lines = [
            header(cpu: r.cpu, isa: name(r.isa), threads: r.threads),
            "ISA paths this machine supports: " + r.supportedISAs.map(name).joined(separator: ", ") + " (\(requested))",
            String(format: "FMA peak (independent FMA chains, best of %d runs of %.2f s per thread):", r.repeats, r.secondsPerThread),
            pad("path", 12) + pad("1 thread", 18) + pad("\(r.threads) thread\(r.threads == 1 ? "" : "s")", 18) + "scaling",
        ]
        for p in r.peaks {
            lines.append(pad(name(p.isa) + (p.isa == r.isa ? " *" : ""), 12)
                + pad(String(format: "%.1f GFLOP/s", p.singleThreadGflops), 18)
                + pad(String(format: "%.1f GFLOP/s", p.allThreadsGflops), 18) + String(format: "%.2f×", p.scaling))
        }
        lines.append("(* the path in use)")
        if let active = r.peaks.first(where: { $0.isa == r.isa }), active.threads > 1,
           active.scaling < 0.75 * Double(active.threads) {
            lines.append(String(format: "note: %d threads reach only %.2f× one thread's peak: these CPUs share FMA units "
                                + "(hyperthreads of one core, or a host limit) or were busy", active.threads, active.scaling))
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

extension MachineBenchmark {
    /// `value`'s JSON object with the machine's "cpu", "isa" and "threads" keys added (both encode
    /// into the same keyed container); `value` must encode as an object.
    public struct Tagged<Value: Encodable>: Encodable {
        public var machine: Machine
        public var value: Value

        public init(_ value: Value, machine: Machine = MachineBenchmark.machine) {
            self.machine = machine
            self.value = value
        }

        public func encode(to encoder: any Encoder) throws {
            try machine.encode(to: encoder)
            try value.encode(to: encoder)
        }
    }
}

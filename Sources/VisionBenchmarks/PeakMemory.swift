// The one peak-memory reader of the benchmarks: the process's resident set and its high-water
// mark from /proc/self/status (VmRSS, VmHWM), and the reset of that mark through
// /proc/self/clear_refs (Linux ≥ 4.0, where the kernel allows it).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resident-set sizes of this process (Linux; nil elsewhere).
public enum PeakMemory {
    /// Resets the kernel's peak-RSS counter (VmHWM) to the current resident set
    /// (`echo 5 > /proc/self/clear_refs`); false if the kernel does not allow it.
    @discardableResult
    public static func reset() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// The peak resident set since start-up or the last successful `reset()` (VmHWM), in bytes.
    public static func peakBytes() -> Int? { status("VmHWM:") }

    /// The current resident set (VmRSS), in bytes.
    public static func residentBytes() -> Int? { status("VmRSS:") }

    /// A size field of /proc/self/status (`VmRSS:`, `VmHWM:`, given in kB there), in bytes.
    static func status(_ field: String) -> Int? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix(field) {
                return Int(text.filter(\.isNumber)).map { $0 * 1024 }
            }
        }
        return nil
    }
}

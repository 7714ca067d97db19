// `VisionFuzz TARGET [FILE|DIR ...]`. Two builds of one program:
// - plain (`swift build`): replays files (a corpus, a crash reproducer) through harness TARGET and
//   prints how many ran; a crash here is a bug to fix, with the input in hand;
// - fuzz (`Scripts/fuzz`, built with -sanitize=fuzzer,address -DFUZZING): hands control to
//   libFuzzer's driver (all of its flags work: -max_total_time=S, -runs=N, CORPUS_DIR ...), the
//   harness being named by VISION_FUZZ_TARGET.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

func printError(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

/// The harness of the fuzz build: `VISION_FUZZ_TARGET`, read once (on first use).
enum Selected {
    static let harness: Harness = {
        let name = ProcessInfo.processInfo.environment["VISION_FUZZ_TARGET"] ?? ""
        guard let harness = Harness(rawValue: name) else {
            printError("VISION_FUZZ_TARGET must be one of \(Harness.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            exit(2)
        }
        return harness
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Selected.harness.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if FUZZING
typealias CArguments = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
/// libFuzzer's entry (compiler-rt's FuzzerDriver.cpp); linked by -sanitize=fuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<CArguments>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

_ = Selected.harness
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
#else
let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let harness = Harness(rawValue: name) else {
    print("usage: VisionFuzz TARGET [FILE|DIR ...]   (TARGET: \(Harness.allCases.map(\.rawValue).joined(separator: ", ")))")
    exit(2)
}
var inputs = 0
for path in arguments.dropFirst() {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        printError("\(path): no such file or directory")
        exit(1)
    }
    let files = isDirectory.boolValue
        ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        harness.run([UInt8](data))
        inputs += 1
    }
}
print("\(harness.rawValue): \(inputs) inputs, no crash")
#endif

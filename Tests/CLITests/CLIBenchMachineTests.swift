// `vision bench machine --json` end to end, with a tiny measurement (a few milliseconds of FMA work
// per run): the report's keys, one peak per supported ISA path, peaks positive. No ratio between
// the N-thread and one-thread peaks is asserted: on a loaded host (2 busy neighbours on 2 cores,
// 2026-12-02) the N-thread peak fell below half the one-thread one, and speed belongs to benchmarks.

import Foundation
import Testing

@Suite(.serialized) struct CLIBenchMachineTests {
    @Test func machineReportJSON() throws {
        let home = CLIFixture.home("bench-machine")
        let result = try VisionProcess.run(["bench", "machine", "--json", "--seconds", "0.005", "--repeats", "3"], visionHome: home)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try CLIFixture.parseLines(result.stdout).first, "no JSON in: \(result.stdout)")
        let cpu = try #require(object["cpu"] as? String)
        #expect(!cpu.isEmpty)
        let isa = try #require(object["isa"] as? String)
        let supported = try #require(object["supportedISAs"] as? [String])
        #expect(supported.contains("portable") && supported.contains(isa), "\(supported) / \(isa)")
        let threads = try #require(object["threads"] as? Int)
        #expect(threads >= 1)
        let peaks = try #require(object["peaks"] as? [[String: Any]])
        #expect(peaks.compactMap { $0["isa"] as? String } == supported)
        for peak in peaks {
            let one = try #require(peak["singleThreadGflops"] as? Double)
            let all = try #require(peak["allThreadsGflops"] as? Double)
            #expect(one > 0 && all > 0, "\(peak)")
            #expect(peak["threads"] as? Int == threads)
        }

        let bad = try VisionProcess.run(["bench", "machine", "--seconds", "0"], visionHome: home)
        #expect(bad.status != 0 && bad.stderr.contains("--seconds"), "\(bad.stderr)")
    }

    @Test func isaComesFromTheEnvironment() throws {
        let home = CLIFixture.home("bench-machine-isa")
        let arguments = ["bench", "machine", "--json", "--seconds", "0.002", "--repeats", "1"]
        func report(_ environment: [String: String]) throws -> (isa: String, supported: [String], stderr: String) {
            let result = try VisionProcess.run(arguments, visionHome: home, environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try CLIFixture.parseLines(result.stdout).first, "no JSON in: \(result.stdout)")
            return (try #require(object["isa"] as? String), try #require(object["supportedISAs"] as? [String]), result.stderr)
        }
        let portable = try report(["VISION_ISA": "portable"])
        #expect(portable.isa == "portable" && portable.stderr.isEmpty, "\(portable)")
        // An unknown path is reported and the best one kept.
        let bogus = try report(["VISION_ISA": "sse9"])
        #expect(bogus.isa == bogus.supported.last, "\(bogus)")
        #expect(bogus.stderr.contains("VISION_ISA=sse9"), "\(bogus.stderr)")
    }
}

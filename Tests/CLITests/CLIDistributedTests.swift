// `vision bench allreduce` end to end: under mpirun with 2 ranks (the collectives' exact-results
// check, and the JSON report's bandwidth arithmetic), and without mpirun or without libmpi (a clear
// failure). mpirun missing is a failure, not a skip: CI installs openmpi-bin (Scripts/install-deps).

import Foundation
import Testing

@Suite(.serialized) struct CLIDistributedTests {
    /// mpirun on PATH, or a recorded failure.
    static func mpirun() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        Issue.record("mpirun is not on PATH: install openmpi-bin (Scripts/install-deps)")
        throw CLIFixture.Missing()
    }

    /// `mpirun -np 2 vision <arguments>` with the flags a root shell on a 2-core container needs.
    static func runTwoRanks(_ arguments: [String], tag: String) throws -> VisionProcess.Result {
        try DistributedTrainFixture.run(ranks: 2, arguments, tag: tag)
    }

    @Test func checkPassesOnTwoRanks() throws {
        let result = try Self.runTwoRanks(["bench", "allreduce", "--check", "--sizes", "small", "--timeout", "120"], tag: "mpi-check")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        // Only rank 0 prints.
        #expect(lines.count == 1, "\(result.stdout)")
        #expect(lines.first?.hasPrefix("allreduce check passed: 2 ranks, sizes 4 KB, 64 KB, 1 MB") == true, "\(result.stdout)")
    }

    @Test func jsonReportOnTwoRanks() throws {
        let result = try Self.runTwoRanks(["bench", "allreduce", "--json", "--sizes", "4K,64K", "--repeats", "3", "--timeout", "120"],
                                          tag: "mpi-json")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let objects = try CLIFixture.parseLines(result.stdout)
        #expect(objects.count == 1, "\(result.stdout)")
        let object = try #require(objects.first)
        #expect(object["worldSize"] as? Int == 2)
        #expect(object["repeats"] as? Int == 3)
        #expect((object["processorNames"] as? [String])?.count == 2, "\(object)")
        #expect(!(try #require(object["cpu"] as? String)).isEmpty)
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["bytes"] as? Int } == [4096, 65536], "\(rows)")
        for row in rows {
            let bytes = Double(try #require(row["bytes"] as? Int))
            let seconds = try #require(row["seconds"] as? Double)
            let algorithm = try #require(row["algorithmBandwidth"] as? Double)
            let bus = try #require(row["busBandwidth"] as? Double)
            let bounded = try #require(row["boundedSeconds"] as? Double)
            let boundedBus = try #require(row["boundedBusBandwidth"] as? Double)
            #expect(seconds > 0 && bounded > 0, "\(row)")
            #expect(abs(algorithm - bytes / seconds) <= 1e-9 * algorithm, "\(row)")
            // 2(N−1)/N = 1 for N = 2.
            #expect(abs(bus - algorithm) <= 1e-9 * algorithm, "\(row)")
            #expect(abs(boundedBus - bytes / bounded) <= 1e-9 * boundedBus, "\(row)")
        }
    }

    @Test func aRankThatStopsMakesTheOthersTimeOut() throws {
        // Rank 1 sleeps past the timeout (a hidden testing option): rank 0's first all-reduce must
        // fail after about 2 s with the timeout's message, and mpirun must end the job.
        let start = Date()
        let result = try Self.runTwoRanks(["bench", "allreduce", "--check", "--sizes", "4K", "--timeout", "2", "--stall-rank", "1"],
                                          tag: "mpi-timeout")
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status != 0)
        #expect(result.stderr.contains("rank 0: MPI_Iallreduce(sum, float) did not complete within 2 s; another rank probably died"),
                "\(result.stderr)")
        #expect(elapsed >= 2 && elapsed < 50, "\(elapsed) s")
    }

    @Test func withoutMpirunItSaysHowToRunIt() throws {
        let result = try VisionProcess.run(["bench", "allreduce", "--sizes", "small"], visionHome: CLIFixture.home("mpi-none"))
        #expect(result.status != 0)
        #expect(result.stderr.contains("run it under mpirun") && result.stderr.contains("mpirun -np 2 vision bench allreduce"),
                "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }

    @Test func withoutLibmpiItSaysHowToInstallIt() throws {
        // As mpirun would start it, but with VISION_MPI_LIBRARY naming a file that does not exist.
        let environment = ["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0",
                           "VISION_MPI_LIBRARY": "/nonexistent/libmpi-bogus.so.40"]
        let result = try VisionProcess.run(["bench", "allreduce", "--check"], visionHome: CLIFixture.home("mpi-nolib"),
                                           environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/libmpi-bogus.so.40") && result.stderr.contains("apt-get install openmpi-bin"),
                "\(result.stderr)")
    }

    @Test func badSizesAreRefused() throws {
        for sizes in ["3", "0", "4K,,8K", "2G", "lots"] {
            let result = try VisionProcess.run(["bench", "allreduce", "--sizes", sizes], visionHome: CLIFixture.home("mpi-sizes"))
            #expect(result.status != 0 && result.stderr.contains("--sizes"), "\(sizes): \(result.stderr)")
        }
    }
}

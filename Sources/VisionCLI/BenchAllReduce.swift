// `vision bench allreduce`: MPI all-reduce bandwidth between the ranks of an mpirun job, or
// (--check) exact results of every collective. Measurement and formatting: AllReduceBenchmark.
import ArgumentParser
import Foundation
import SwiftVision
import VisionBenchmarks

struct AllReduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "MPI all-reduce bandwidth between the ranks of an mpirun job (run it as `mpirun -np N vision bench allreduce`).",
        discussion: """
            Run it under Open MPI's launcher, one process per rank: `mpirun -np 2 vision bench allreduce`. \
            As root add --allow-run-as-root; with fewer cores than ranks (a 2-core machine) add \
            --oversubscribe; in a container add `--mca btl_vader_single_copy_mechanism none` (the \
            shared-memory transport's single-copy mode needs ptrace rights containers lack), e.g. \
            `mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl_vader_single_copy_mechanism none \
            vision bench allreduce`. Open MPI is loaded at run time, only under mpirun: install it with \
            `apt-get install openmpi-bin` (Open MPI 4.x; MPICH is not supported); VISION_MPI_LIBRARY \
            names another libmpi.so. Run without mpirun, the command fails and says so.

            For each size (--sizes, bytes of float32; default 4 KB to 64 MB in powers of 4) it times \
            MPI_Allreduce (sum, in place) in --repeats rounds after a warm-up, each round's time being \
            the slowest rank's, and prints the median seconds, the algorithm bandwidth (bytes / time) \
            and the bus bandwidth (algorithm bandwidth × 2(N−1)/N, nccl-tests' definition: the bytes \
            each rank's link carries in a ring all-reduce, comparable across rank counts), then the \
            same for the bounded path SwiftVision's collectives take (MPI_Iallreduce polled until done \
            or --timeout). The header line gives the CPU, ISA path, threads, the world size and every \
            rank's host. Only rank 0 prints.

            --check verifies instead of timing: every rank fills its buffers with rank-dependent \
            integers (float element i of rank r is r·1000 + i mod 97), all-reduces them (bounded, \
            MPI_Allreduce, started-then-polled; float, double and int64), broadcasts bytes and floats, \
            takes a max and a min, and compares every element with the exact expected value. It prints \
            "allreduce check passed: N ranks ..." and exits 0, or names the first wrong element and \
            exits 1 on every rank. `--sizes small` (4 KB, 64 KB, 1 MB) makes it quick.

            Environment: VISION_MPI_LIBRARY (the libmpi to load; default libmpi.so.40, then \
            libmpi.so), VISION_MPI_SPIN_US (how long a collective's wait tests without sleeping, \
            default 1000000: Open MPI progresses only inside MPI calls).
            """)

    @Option(help: "Buffer sizes: default, small, or a comma list in bytes with K/M/G suffixes (e.g. 4K,1M,64M).")
    var sizes = "default"
    @Option(help: "Timed rounds per size (the median is printed).") var repeats = 20
    @Option(help: "Seconds any collective may wait for the other ranks before failing.") var timeout = 300.0
    @Flag(help: "Verify exact results of every collective instead of timing.") var check = false
    @Flag(help: "Print the report as one JSON object.") var json = false
    @Option(help: .hidden) var stallRank: Int?  // testing: this rank sleeps past --timeout before joining (the others time out)

    func validate() throws {
        guard AllReduceBenchmark.parseSizes(sizes) != nil else {
            throw ValidationError("--sizes: default, small, or a comma list of positive multiples of 4 bytes up to 1G (K/M/G suffixes)")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats: at least 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout: a positive number of seconds") }
    }

    func run() throws {
        guard MPIEnvironment.launchedByMPI() else {
            var message = "vision bench allreduce measures MPI collectives between processes: run it under mpirun, "
                + "e.g. `mpirun -np 2 vision bench allreduce` (as root add --allow-run-as-root, on few cores "
                + "--oversubscribe; see --help)"
            do { try MPILibrary.load() } catch { message += ". " + error.description }
            throw CLIError(message)
        }
        let comm = try MPICommunicator.initialize()
        comm.timeout = .milliseconds(Int64(timeout * 1000))
        if comm.rank == stallRank { Thread.sleep(forTimeInterval: timeout + 60) }
        let sizeList = AllReduceBenchmark.parseSizes(sizes) ?? AllReduceBenchmark.defaultSizes
        if check {
            let result = try AllReduceBenchmark.check(comm, sizes: sizeList)
            if comm.rank == 0 {
                if json {
                    print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(result)), as: UTF8.self))
                } else if result.passed {
                    print(AllReduceBenchmark.format(result))
                } else {
                    FileHandle.standardError.write(Data((AllReduceBenchmark.format(result) + "\n").utf8))
                }
            }
            try comm.finalize()
            if !result.passed { throw ExitCode(1) }
            return
        }
        let result = try AllReduceBenchmark.run(comm, sizes: sizeList, repeats: repeats)
        if comm.rank == 0 {
            if json {
                print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(result)), as: UTF8.self))
            } else {
                print(AllReduceBenchmark.format(result))
            }
        }
        try comm.finalize()
    }
}

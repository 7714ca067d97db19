// `mpirun -np N vision train` end to end on the Fashion-MNIST images of Datasets/: two ranks with
// half the batch each end where one process with the whole batch does (without BatchNorm, and with
// it under --sync-bn); without --sync-bn rank 0's running statistics are those of its shard; a
// killed rank ends the run within a bounded time and the last checkpoint resumes alone; Ctrl-C or
// SIGUSR1 to mpirun saves at the next batch, and the same ranks resume to an uninterrupted run's weights.
//
// "Within 1e-5 relative": per tensor for small_cnn (max |a − b| ≤ 1e-5 · max |a|); over the whole
// parameter vector for resnet18 (‖a − b‖ ≤ 1e-5 · ‖a‖), whose early training is ill-conditioned
// enough (BatchNorm bias gradients are sums of Σ(p − y) ≈ 0 at initialisation) that two
// single-process runs differing only in GEMM rounding already differ by 1e-5 in some bias after a
// few steps; the run is kept short (2 steps) so the comparison measures the data parallelism.

import Foundation
import Testing
import SwiftVision
import TestSupport

enum DistributedTrainFixture {
    /// A folder of the first `counts[k]` training images of the first classes.
    static func folder(_ name: String, counts: [Int], split: String = "train") throws -> String {
        let out = CLIFixture.directory + "/" + name
        try? FileManager.default.removeItem(atPath: out)
        let source = TrainFixture.root + "/" + split
        let classes = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
        for (cls, count) in zip(classes, counts) {
            try FileManager.default.createDirectory(atPath: out + "/" + cls, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: source + "/" + cls).sorted().prefix(count) {
                try FileManager.default.copyItem(atPath: source + "/" + cls + "/" + file, toPath: out + "/" + cls + "/" + file)
            }
        }
        return out
    }

    static let launcherFlags = ["--allow-run-as-root", "--oversubscribe", "--timeout", "300",
                                "--mca", "btl_vader_single_copy_mechanism", "none"]

    /// `mpirun -np N vision <arguments>`.
    static func run(ranks: Int, _ arguments: [String], tag: String, environment: [String: String] = [:]) throws -> VisionProcess.Result {
        try VisionProcess.run(executable: try CLIDistributedTests.mpirun(),
                              launcherFlags + ["-np", String(ranks), VisionProcess.binary.path] + arguments,
                              visionHome: CLIFixture.home(tag), environment: environment)
    }

    /// `mpirun -np N vision <arguments>` started and left running.
    static func start(ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = try CLIDistributedTests.mpirun()
        process.arguments = launcherFlags + ["-np", String(ranks), VisionProcess.binary.path] + arguments
        process.currentDirectoryURL = repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (at most `seconds`) until `path` exists and is not empty.
    static func waitForFile(_ path: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    /// The pid of the rank `rank` process whose command line mentions `marker`.
    static func rankProcess(_ rank: Int, marker: String) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry),
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") && arguments.contains(marker)
                && arguments.first?.hasSuffix("vision") == true { return pid }
        }
        return nil
    }

    static func tensors(_ path: String) throws -> [String: [Float]] { try TrainFixture.weights(path) }

    /// Starts `executable` with no blocked signals and default actions (as from a shell), output
    /// discarded; returns its pid.
    static func spawnWithSignalsUnblocked(_ executable: String, _ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGUSR1, SIGCONT, SIGTSTP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            Issue.record("posix_spawn \(executable): \(String(cString: strerror(code)))")
            throw CLIFixture.Missing()
        }
        return pid
    }

    /// max |a − b| / max |a| over the worst tensor, with its name.
    static func worstTensor(_ a: [String: [Float]], _ b: [String: [Float]]) -> (Double, String) {
        var worst = (0.0, "")
        for (name, x) in a where !name.hasSuffix("num_batches_tracked") {
            guard let y = b[name], y.count == x.count else { return (.infinity, name) }
            let scale = Double(x.map { abs($0) }.max() ?? 0)
            let difference = Double(zip(x, y).map { abs($0 - $1) }.max() ?? 0)
            let r = scale > 0 ? difference / scale : difference
            if r > worst.0 { worst = (r, name) }
        }
        return worst
    }

    /// ‖a − b‖ / ‖a‖ over the tensors whose names pass `include`.
    static func vectorDifference(_ a: [String: [Float]], _ b: [String: [Float]], _ include: (String) -> Bool) -> Double {
        var difference = 0.0, norm = 0.0
        for (name, x) in a where include(name) && !name.hasSuffix("num_batches_tracked") {
            let y = b[name] ?? []
            guard y.count == x.count else { return .infinity }
            for (p, q) in zip(x, y) {
                difference += Double(p - q) * Double(p - q)
                norm += Double(p) * Double(p)
            }
        }
        return (difference / max(norm, 1e-300)).squareRoot()
    }

    static func isRunningStatistic(_ name: String) -> Bool { name.hasSuffix("running_mean") || name.hasSuffix("running_var") }
}

@Suite(.serialized) struct CLITrainDistributedTests {
    typealias F = DistributedTrainFixture

    @Test func twoRanksWithoutBatchNormEndWhereOneProcessDoes() throws {
        let data = try F.folder("dp-small", counts: [32, 32, 32])
        // 15 validation images: shards of 8 and 7 (unpadded), their counts summed.
        let val = try F.folder("dp-small-val", counts: [5, 5, 5], split: "test")
        let common = ["train", "--data", data, "--val", val, "--epochs", "2", "--lr", "0.05", "--channels", "1", "--image-size", "28",
                      "--mean", "0.286", "--std", "0.353", "--plain", "--workers", "1"]
        let one = CLIFixture.directory + "/dp-one.safetensors", two = CLIFixture.directory + "/dp-two.safetensors"
        let a = try F.run(ranks: 1, common + ["--batch-size", "16", "--out", one], tag: "dp-small")
        #expect(a.status == 0, "\(a.stderr)")
        let b = try F.run(ranks: 2, common + ["--batch-size", "8", "--out", two], tag: "dp-small")
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("2 processes") && b.stdout.contains("batch 8 per process = global batch 16"), "\(b.stdout)")
        #expect(b.stdout.contains("of 6 batches (96 images)"), "\(b.stdout)")
        // Rank 0 alone reports.
        #expect(b.stdout.components(separatedBy: "saved \(two)").count == 2, "\(b.stdout)")

        let (worst, name) = F.worstTensor(try F.tensors(one), try F.tensors(two))
        #expect(worst <= 1e-5, "\(name) differs by \(worst) of its largest value")
        // Every rank's validation shard counted once: the same accuracy and loss as one process.
        let m1 = try MetricsLog.read(one + ".metrics.jsonl"), m2 = try MetricsLog.read(two + ".metrics.jsonl")
        try #require(m1.count == 2 && m2.count == 2)
        for (x, y) in zip(m1, m2) {
            #expect(x.valAccuracy1 == y.valAccuracy1 && x.trainAccuracy == y.trainAccuracy, "\(x) vs \(y)")
            #expect(abs((x.valLoss ?? 0) - (y.valLoss ?? 1)) <= 1e-5 * abs(x.valLoss ?? 1), "\(x) vs \(y)")
            #expect(abs(x.trainLoss - y.trainLoss) <= 1e-5 * abs(x.trainLoss), "\(x) vs \(y)")
        }
        let state = try #require(try TrainingCheckpoint.load(two).trainState)
        #expect(state.worldSize == 2 && state.epoch == 2 && state.step == 12)
    }

    @Test func twoRanksWithSyncBatchNormEndWhereOneProcessDoes() throws {
        let data = try F.folder("dp-bn", counts: [3, 3, 2])
        let common = ["train", "--data", data, "--model", "resnet18", "--epochs", "2", "--lr", "0.001", "--channels", "3",
                      "--image-size", "32", "--plain", "--workers", "1"]
        let one = CLIFixture.directory + "/dp-bn-one.safetensors", synced = CLIFixture.directory + "/dp-bn-sync.safetensors"
        let own = CLIFixture.directory + "/dp-bn-own.safetensors"
        let a = try F.run(ranks: 1, common + ["--batch-size", "8", "--out", one], tag: "dp-bn")
        #expect(a.status == 0, "\(a.stderr)")
        let b = try F.run(ranks: 2, common + ["--batch-size", "4", "--sync-bn", "--out", synced], tag: "dp-bn")
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("BatchNorm statistics synchronised (--sync-bn)"), "\(b.stdout)")
        let c = try F.run(ranks: 2, common + ["--batch-size", "4", "--out", own], tag: "dp-bn")
        #expect(c.status == 0, "\(c.stderr)")

        let reference = try F.tensors(one), sync = try F.tensors(synced), perRank = try F.tensors(own)
        let parameters = F.vectorDifference(reference, sync) { !F.isRunningStatistic($0) }
        let statistics = F.vectorDifference(reference, sync, F.isRunningStatistic)
        #expect(parameters <= 1e-5 && statistics <= 1e-5, "parameters \(parameters), running statistics \(statistics)")
        // Each rank's own 4-image statistics are another thing altogether.
        #expect(F.vectorDifference(reference, perRank, F.isRunningStatistic) > 1e-3)
    }

    @Test func withoutSyncBatchNormRankZeroKeepsItsShardStatistics() throws {
        // The backbone is frozen, so its running statistics after one epoch depend only on the
        // initial weights and the batches each rank saw: rank 0's checkpoint must hold those of
        // rank 0's shard (torch's DistributedSampler order, 4 images a batch), recomputed here.
        let data = try F.folder("dp-shard", counts: [3, 3, 2])
        let out = CLIFixture.directory + "/dp-shard.safetensors"
        let run = try F.run(ranks: 2, ["train", "--data", data, "--model", "resnet18", "--freeze-backbone", "--epochs", "1",
                                       "--channels", "3", "--image-size", "32", "--batch-size", "4", "--plain", "--workers", "1",
                                       "--out", out], tag: "dp-shard")
        #expect(run.status == 0, "\(run.stderr)")
        let saved = try F.tensors(out)

        func statistics(shard: DistributedShard?, batchSize: Int) throws -> [String: [Float]] {
            let folder = try ImageFolder(root: data, transform: Pipeline(image: [Resize(32, interpolation: .bilinear), CenterCrop(32)],
                                                                        tensor: [Normalize(mean: ImageClassificationPreset.imagenetMean,
                                                                                           std: ImageClassificationPreset.imagenetStd)]),
                                         mode: .rgb)
            let spec = ModelSpec(architecture: "resnet18", classNames: folder.classes, inputChannels: 3,
                                 preprocessing: ImageClassificationPreset(cropSize: 32, resizeSize: 32, interpolation: .bilinear,
                                                                          mean: ImageClassificationPreset.imagenetMean,
                                                                          std: ImageClassificationPreset.imagenetStd))
            let model = try spec.makeModel(seed: 0).train()
            let loader = DataLoader(folder, batchSize: batchSize, shuffle: true, seed: 0, workers: 0, shard: shard)
            let stream = loader.batches(epoch: 0, from: 0)
            while let batch = try stream.next() { _ = withNoGrad { model(batch.images) } }
            return Dictionary(uniqueKeysWithValues: model.namedBuffers().map { ($0.name, $0.buffer.value.scalars) })
        }
        let rankZero = try statistics(shard: DistributedShard(rank: 0, worldSize: 2), batchSize: 4)
        let (worst, name) = F.worstTensor(rankZero, saved.filter { F.isRunningStatistic($0.key) })
        #expect(worst <= 1e-6, "\(name): \(worst)")
        let whole = try statistics(shard: nil, batchSize: 8)
        #expect(F.vectorDifference(whole, saved, F.isRunningStatistic) > 1e-3, "rank 0's statistics are not the whole batch's")
    }

    @Test func aKilledRankEndsTheRunAndTheLastCheckpointResumesAlone() throws {
        let data = try F.folder("dp-kill", counts: [32, 32, 32])
        let out = CLIFixture.directory + "/dp-kill.safetensors"
        try? FileManager.default.removeItem(atPath: out + ".metrics.jsonl")
        let common = ["--data", data, "--channels", "1", "--image-size", "28", "--mean", "0.286", "--std", "0.353",
                      "--batch-size", "8", "--lr", "0.05", "--plain", "--workers", "1", "--out", out]
        let mpirun = try F.start(ranks: 2, ["train", "--epochs", "100000"] + common)
        defer { if mpirun.isRunning { mpirun.terminate() } }
        try #require(F.waitForFile(out + ".metrics.jsonl"), "no epoch finished within 60 s")
        let victim = try #require(F.rankProcess(1, marker: out), "rank 1's process not found")
        let killed = Date()
        kill(victim, SIGKILL)
        while mpirun.isRunning && Date().timeIntervalSince(killed) < 60 { usleep(20_000) }
        let elapsed = Date().timeIntervalSince(killed)
        #expect(!mpirun.isRunning && elapsed < 60, "the run kept going \(elapsed) s after rank 1 died")
        mpirun.waitUntilExit()
        #expect(mpirun.terminationStatus != 0)

        // The checkpoint of the last finished epoch loads, and a single process continues it.
        let state = try #require(try TrainingCheckpoint.load(out).trainState)
        #expect(state.epoch >= 1 && state.batch == 0 && state.worldSize == 2, "epoch \(state.epoch), batch \(state.batch)")
        let resumed = try VisionProcess.run(["train", "--epochs", String(state.epoch + 1), "--resume", out] + common,
                                            visionHome: CLIFixture.home("dp-kill"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming \(out): \(state.epoch) epochs done"), "\(resumed.stdout)")
        #expect(try TrainingCheckpoint.load(out).trainState?.epoch == state.epoch + 1)
    }

    /// The uninterrupted 2-rank run the stopped-and-resumed ones must equal.
    static let stopRun: (data: String, common: [String], weights: [String: [Float]]) = {
        let data = try! F.folder("dp-int", counts: [32, 32, 32])
        let whole = CLIFixture.directory + "/dp-int-whole.safetensors"
        let common = ["train", "--data", data, "--epochs", "30", "--channels", "1", "--image-size", "28", "--mean", "0.286",
                      "--std", "0.353", "--batch-size", "8", "--lr", "0.05", "--plain", "--workers", "1"]
        let uninterrupted = try! F.run(ranks: 2, common + ["--out", whole], tag: "dp-int")
        precondition(uninterrupted.status == 0, uninterrupted.stderr)
        return (data, common, try! F.tensors(whole))
    }()

    /// SIGUSR1 to mpirun (forwarded to every rank) and Ctrl-C (SIGINT: mpirun sends SIGCONT at
    /// once, SIGTERM a second later) both stop every rank at the same batch boundary, rank 0 saves,
    /// and `--resume` with the same 2 ranks ends with the uninterrupted run's weights.
    @Test(arguments: [SIGUSR1, SIGINT])
    func stoppingMpirunSavesAndTheSameRanksResumeExactly(_ signal: Int32) throws {
        let (_, common, whole) = Self.stopRun
        let part = CLIFixture.directory + "/dp-int-part-\(signal).safetensors"
        for suffix in ["", ".metrics.jsonl"] { try? FileManager.default.removeItem(atPath: part + suffix) }
        // mpirun must not inherit this test thread's blocked signals (Foundation's Process would pass them on).
        let mpirun = try F.spawnWithSignalsUnblocked(try CLIDistributedTests.mpirun().path,
                                                     F.launcherFlags + ["-np", "2", VisionProcess.binary.path] + common + ["--out", part])
        try #require(F.waitForFile(part + ".metrics.jsonl"), "no epoch finished within 60 s")
        kill(mpirun, signal)
        var status: Int32 = 0
        waitpid(mpirun, &status, 0)
        let state = try #require(try TrainingCheckpoint.load(part).trainState)
        #expect(state.epoch >= 1 && state.epoch < 30, "stopped at epoch \(state.epoch) batch \(state.batch)")
        if state.batch > 0 {
            // Mid-epoch: the batch index counts 2-rank shards, so one process cannot continue it.
            let alone = try VisionProcess.run(common + ["--out", part, "--resume", part], visionHome: CLIFixture.home("dp-int"))
            #expect(alone.status != 0 && alone.stderr.contains("resume it with mpirun -np 2"), "\(alone.stderr)")
        }
        let resumed = try F.run(ranks: 2, common + ["--out", part, "--resume", part], tag: "dp-int")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let b = try F.tensors(part)
        #expect(whole.keys.sorted() == b.keys.sorted())
        #expect(whole.keys.allSatisfy { whole[$0] == b[$0] }, "weights differ from the uninterrupted run's")
    }

    @Test func syncBatchNormOutsideMpirunIsRefused() throws {
        let result = try VisionProcess.run(["train", "--dataset", "mnist", "--sync-bn"], visionHome: CLIFixture.home("dp-refuse"))
        #expect(result.status != 0 && result.stderr.contains("--sync-bn synchronises BatchNorm across the processes"), "\(result.stderr)")
    }
}

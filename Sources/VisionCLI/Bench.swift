// `vision bench`: speed measurements printed next to a reference measured in the same run.
import ArgumentParser
import Foundation
import SwiftVision
import VisionBenchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed against a reference in the same run (medians of repeated runs).",
        subcommands: [MachineBench.self, TensorBench.self, ConvBench.self, ModelsBench.self, TrainBench.self, DataBench.self, ImagesBench.self, CheckpointsBench.self,
                      AllReduceBench.self])
}

struct MachineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machine",
        abstract: "The machine: CPU model, ISA path, threads, and the measured FMA peak (GFLOP/s) of each ISA path.",
        discussion: """
            Prints the CPU model, the ISA path SwiftVision's kernels use (VISION_ISA picks another) \
            and the paths this machine supports, the thread count (VISION_NUM_THREADS), and for every \
            supported path the FMA peak: independent fused multiply-add chains on the path's widest \
            vectors (CKernels' vk_fma_peak_loop, nothing but the FMA units limit it), timed on 1 \
            thread and on all threads at once, best of --repeats runs of --seconds per thread. It is \
            the ceiling for float32 compute on this machine: `vision bench models` reports its GFLOP/s \
            as a percentage of it.
            """)

    @Option(help: "Seconds of FMA work per thread in each timed run.") var seconds = MachineBenchmark.defaultSeconds
    @Option(help: "Timed runs per measurement (the best is kept: the machine may be shared).") var repeats = MachineBenchmark.defaultRepeats
    @Flag(help: "Print the report as one JSON object.") var json = false

    func validate() throws {
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds: between 0 and 60") }
        guard repeats >= 1 else { throw ValidationError("--repeats: at least 1") }
    }

    func run() throws {
        let result = MachineBenchmark.run(seconds: seconds, repeats: repeats)
        if json {
            print(String(decoding: try jsonEncoder.encode(result), as: UTF8.self))
        } else {
            print(MachineBenchmark.format(result))
        }
    }
}

struct TensorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Tensor engine: matmul vs a bare cblas_sgemm, elementwise ops vs a plain loop.",
        discussion: "The tensor path should be within 5% of cblas_sgemm and within 1.5× of the plain loop.")

    @Option(help: "Timed runs per measurement (the median is printed).")
    var repeats = 15

    func run() throws {
        print(MachineBenchmark.header())
        print(pad("work", 26) + pad("SwiftVision", 14) + pad("reference", 14) + "ratio")
        let shapes = [(1024, 1024, 1024), (64, 3136, 576), (512, 49, 4608)]
        var rows = shapes.map { TensorBenchmark.matmul(m: $0.0, n: $0.1, k: $0.2, repeats: repeats) }
        rows += TensorBenchmark.elementwise(repeats: repeats)
        for r in rows {
            print(pad(r.name, 26) + pad(String(format: "%.1f %@", r.ours, r.unit), 14)
                + pad(String(format: "%.1f %@", r.reference, r.unit), 14) + String(format: "%.2f", r.ratio))
        }
    }
}

struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Every distinct conv of ResNet-18 or -50 (224², batch 1 by default): conv2d forward vs a bare cblas_sgemm of the same M×N×K, and backward vs forward.",
        discussion: """
            Goals: forward reaches ≥ 80% of the GEMM's GFLOP/s; backward costs ≤ 3× forward. \
            The GEMM runs on OpenBLAS's own thread pool (as a bare caller would run it), the conv on \
            SwiftVision's. Each conv is measured in rounds (GEMM, pause, forward, backward); times are \
            medians over rounds and the ratios medians of each round's ratio. The forward packs the \
            weight per call (as training does); "inf" is the inference form: weight packed once, bias \
            and ReLU fused, the algorithm the chooser picks (named in the last column), its GFLOP/s \
            counted as the direct convolution's whatever algorithm ran. `--size 64 --batch 32` shows \
            the convs of a ResNet-18 training step on 64² images (maps 32² down to 2²).
            """)

    @Option(help: "Timed runs per measurement in a round (the median is kept).")
    var repeats = 7
    @Option(help: "Rounds per conv (the median over rounds is printed).")
    var rounds = 5
    @Option(help: "Batch size.")
    var batch = 1
    @Option(help: "Only convs whose name contains this text.")
    var only: String?
    @Option(help: "Whose convs: resnet18 or resnet50.")
    var model = "resnet18"
    @Option(help: "Input image size: every conv's map scales with it (224 is the model's own).")
    var size = 224

    func run() throws {
        guard size >= 1 else { throw ValidationError("--size \(size): expected a positive image size") }
        print(MachineBenchmark.header() + " · batch \(batch) · \(size)² input")
        print(pad("conv", 28) + pad("M×N×K", 18) + pad("fwd ms", 9) + pad("GFLOP/s", 9) + pad("gemm ms", 9)
            + pad("GFLOP/s", 9) + pad("fwd/gemm", 10) + pad("bwd ms", 9) + pad("bwd/fwd", 9) + pad("inf ms", 9)
            + pad("GFLOP/s", 9) + "algorithm")
        var totalForward = 0.0, totalGemm = 0.0, totalBackward = 0.0, totalInference = 0.0
        guard let table = ["resnet18": TensorBenchmark.resnet18Convs, "resnet50": TensorBenchmark.resnet50Convs][model] else {
            throw ValidationError("--model \(model): expected resnet18 or resnet50")
        }
        let convs = table.filter { c in only.map { c.name.contains($0) } ?? true }.map { $0.scaled(toInput: size) }
        // Warm-up, untimed: the first convs of a fresh process ran up to twice as slow (GEMM too).
        for c in convs { _ = TensorBenchmark.conv(c, batch: batch, repeats: 2, rounds: 1) }
        for c in convs {
            let r = TensorBenchmark.conv(c, batch: batch, repeats: repeats, rounds: rounds)
            totalForward += r.forward * Double(c.occurrences)
            totalGemm += r.gemm * Double(c.occurrences)
            totalBackward += r.backward * Double(c.occurrences)
            totalInference += r.inference * Double(c.occurrences)
            print(pad(c.name, 28) + pad("\(r.m)×\(r.n)×\(r.k)", 18) + pad(String(format: "%.3f", r.forward * 1e3), 9)
                + pad(String(format: "%.1f", r.forwardGflops), 9) + pad(String(format: "%.3f", r.gemm * 1e3), 9)
                + pad(String(format: "%.1f", r.gemmGflops), 9) + pad(String(format: "%.2f", r.efficiency), 10)
                + pad(String(format: "%.3f", r.backward * 1e3), 9) + pad(String(format: "%.2f", r.backwardRatio), 9)
                + pad(String(format: "%.3f", r.inference * 1e3), 9) + pad(String(format: "%.1f", r.inferenceGflops), 9)
                + r.inferenceAlgorithm)
        }
        print(String(format: "\(model) convs in total (each × its count): forward %.1f ms, bare GEMM %.1f ms (%.2f), backward %.1f ms (%.2f× forward), inference form %.1f ms",
                     totalForward * 1e3, totalGemm * 1e3, totalGemm / totalForward, totalBackward * 1e3, totalBackward / totalForward,
                     totalInference * 1e3))
    }
}

struct ModelsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Inference latency (batch 1) and throughput (batch 16) of whole models, random weights.",
        discussion: """
            Evaluation mode, BatchNorm folded into the convs, no autograd graph, through the model's \
            inference plan (activations allocated once; --no-plan calls the module directly). Each case also prints \
            its GFLOP (2 × the multiply-adds of its convs and linear layers), GFLOP/s at the median, and \
            that as a percentage of the FMA peak of the ISA path in use at this thread count (measured \
            once per process, as `vision bench machine` does). \
            Scripts/bench_models.py runs PyTorch eager on the same work in the same run and prints ratios.
            """)

    @Option(help: "Comma-separated architectures.") var models = "resnet18,resnet50,vgg16,alexnet"
    @Option(help: "Comma-separated batch sizes.") var batches = "1,16"
    @Option(help: "Input height and width.") var size = 224
    @Option(help: "Timed runs per case (after one warm-up).") var runs = 10
    @Flag(help: "Call the modules directly, not through their inference plans (for comparison).") var noPlan = false
    @Flag(help: "Print one JSON object per case.") var json = false

    func run() throws {
        if !json {
            print(MachineBenchmark.header())
            let peak = MachineBenchmark.peak(isa: KernelISA.active, threads: Threading.count)
            print(String(format: "FMA peak (%@, %d threads): %.1f GFLOP/s", KernelISA.active.description, Threading.count, peak))
        }
        for name in models.split(separator: ",").map(String.init) {
            for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
                let r = try ModelBenchmark.run(model: name, batch: batch, size: size, runs: runs, usePlan: !noPlan)
                if json {
                    print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(r)), as: UTF8.self))
                } else {
                    let compute = r.gflops.map { gflops in
                        String(format: ", %6.1f GFLOP/s", gflops) + (r.peakPercent.map { String(format: " (%.0f%% of peak)", $0) } ?? "")
                    } ?? ""
                    print(String(format: "%-10@ batch %3d: median %8.1f ms (min %.1f), %6.1f img/s",
                                 name, batch, r.medianSeconds * 1e3, r.minSeconds * 1e3, r.imagesPerSecond)
                        + (r.gflop.map { String(format: ", %.2f GFLOP", $0) } ?? "") + compute)
                }
            }
        }
    }
}

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training-step speed: zero_grad, forward (train mode), cross-entropy, backward, SGD step.",
        discussion: """
            A fixed random batch and random labels, so only the model's compute is measured (the data \
            pipeline has its own benchmark). Cases are MODEL:BATCH:CHANNELS:SIZE. \
            Scripts/bench_training.py runs PyTorch on the same work in the same run and prints ratios.

            --data-parallel, under `mpirun -np N`: the step of `vision train`'s data-parallel trainer \
            (gradients all-reduced while backward runs, then the step's totals), BATCH images per \
            process; prints the global images/s, and the communication backward did not hide (the \
            wait after backward) with its share of the step. Scripts/bench_distributed.sh compares \
            N processes × 1 thread with 1 process × N threads on the same global batch.
            """)

    @Option(help: "Comma-separated cases MODEL:BATCH:CHANNELS:SIZE.")
    var cases = "small_cnn:64:1:28,resnet18:32:3:64"
    @Option(help: "Timed steps per case (after two warm-up steps).") var runs = 10
    @Flag(help: "Print one JSON object per case.") var json = false
    @Flag(help: "Under mpirun: time the data-parallel step (BATCH per process).") var dataParallel = false

    func run() throws {
        if dataParallel { return try runDataParallel() }
        if !json { print(MachineBenchmark.header()) }
        for spec in cases.split(separator: ",") {
            let parts = spec.split(separator: ":").map(String.init)
            guard parts.count == 4, let batch = Int(parts[1]), let channels = Int(parts[2]), let size = Int(parts[3]),
                  batch > 0, channels > 0, size > 0 else {
                throw ValidationError("bad case '\(spec)': expected MODEL:BATCH:CHANNELS:SIZE, e.g. resnet18:32:3:64")
            }
            let r = try TrainStepBenchmark.run(model: parts[0], batch: batch, channels: channels, size: size, runs: runs)
            if json {
                print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(r)), as: UTF8.self))
            } else {
                print(String(format: "%-10@ batch %3d, %d×%d×%d: step median %8.2f ms (min %.2f), %7.1f img/s",
                             r.model, batch, channels, size, size, r.medianSeconds * 1e3, r.minSeconds * 1e3, r.imagesPerSecond))
            }
        }
    }
}

extension TrainBench {
    func runDataParallel() throws {
        guard MPIEnvironment.launchedByMPI() else {
            throw ValidationError("--data-parallel runs under mpirun: mpirun -np 2 vision bench train --data-parallel ...")
        }
        let group = try MPICommunicator.initialize()
        defer { try? group.finalize() }
        if !json && group.rank == 0 { print(MachineBenchmark.header() + " · processes: \(group.size)") }
        for spec in cases.split(separator: ",") {
            let parts = spec.split(separator: ":").map(String.init)
            guard parts.count == 4, let batch = Int(parts[1]), let channels = Int(parts[2]), let size = Int(parts[3]),
                  batch > 0, channels > 0, size > 0 else {
                throw ValidationError("bad case '\(spec)': expected MODEL:BATCH:CHANNELS:SIZE, e.g. resnet18:16:3:64")
            }
            let r = try DataParallelStepBenchmark.run(model: parts[0], batch: batch, channels: channels, size: size, runs: runs,
                                                      group: group)
            guard group.rank == 0 else { continue }
            if json {
                print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(r)), as: UTF8.self))
            } else {
                print(String(format: "%-10@ %d × batch %3d, %d×%d×%d: step median %8.2f ms, %7.1f img/s; exposed communication %.2f ms (%.1f%% of the step), %.1f MB of gradients",
                             r.model, r.worldSize, batch, channels, size, size, r.medianSeconds * 1e3, r.imagesPerSecond,
                             r.exposedCommunicationSeconds * 1e3, r.exposedCommunicationShare * 100, Double(r.gradientBytes) / 1e6))
            }
        }
    }
}

struct DataBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "DataLoader throughput: decoding + augmentation on worker threads, no model.",
        discussion: """
            Writes a temporary folder of JPEGs (re-encoded from the sample photos at 500×375) and \
            times epochs of RandomResizedCrop(224) + horizontal flip + toTensor + Normalize at batch \
            32 for each worker count; with --fashion-mnist DIR also the Fashion-MNIST training set \
            at batch 64 (the fast batch path). Compare with `vision bench train` images/s: the \
            loader should deliver at least twice what a training step consumes. \
            Scripts/bench_dataloader.py measures torchvision's DataLoader on the same folder.
            """)

    @Option(help: "Directory of source photos (JPEG).") var photos = "Datasets/samples"
    @Option(help: "JPEG files in the generated folder.") var images = 512
    @Option(help: "Comma-separated worker counts.") var workers = "1,2"
    @Option(help: "Timed epochs per worker count.") var epochs = 3
    @Option(help: "Also time Fashion-MNIST (IDX files) from this directory.") var fashionMnist: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let (sources, problems) = expandImagePaths([photos])
        guard problems.isEmpty, !sources.isEmpty else { throw CLIError(problems.joined(separator: "; ")) }
        let counts = workers.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 0 }) else { throw ValidationError("--workers: comma-separated counts, e.g. 1,2") }
        let report = try DataLoaderBenchmark.run(sourcePhotos: sources, imageCount: images, workerCounts: counts, epochs: epochs)
        var fashion: [DataLoaderBenchmark.Result] = []
        if let fashionMnist {
            fashion = try DataLoaderBenchmark.time(FashionMNIST(directory: fashionMnist, normalize: true), batchSize: 64,
                                                   workerCounts: counts, epochs: epochs)
        }
        if json {
            struct Output: Encodable { let jpegFolder: DataLoaderBenchmark.Report; let fashionMNIST: [DataLoaderBenchmark.Result] }
            let output = MachineBenchmark.Tagged(Output(jpegFolder: report, fashionMNIST: fashion))
            print(String(decoding: try jsonEncoder.encode(output), as: UTF8.self))
        } else {
            print(MachineBenchmark.header())
            print(DataLoaderBenchmark.format(report))
            if !fashion.isEmpty { print("Fashion-MNIST train, batch 64:\n" + DataLoaderBenchmark.format(fashion)) }
        }
    }
}

struct ImagesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Decode a JPEG and a PNG and run the ImageNet preset on them (medians).",
        discussion: "Scripts/bench_images.py makes 1920×1080 files, times Pillow/torchvision on them and runs this in the same run.")

    @Argument(help: "A JPEG file.") var jpeg: String
    @Argument(help: "A PNG file.") var png: String
    @Argument(help: "Timed runs per measurement.") var repetitions = 20
    @Flag(help: "Print one JSON object: the machine keys and \"results\", an array of timings.") var json = false

    func run() throws {
        let results = try ImageBenchmark.run(jpegPath: jpeg, pngPath: png, repetitions: repetitions)
        if json {
            struct Output: Encodable { let results: [ImageBenchmark.Result] }
            print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(Output(results: results))), as: UTF8.self))
        } else {
            print(MachineBenchmark.header())
            print(ImageBenchmark.format(results))
        }
    }
}

struct CheckpointsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "Load a checkpoint (.pth or .safetensors) repeatedly: median time and peak RSS.",
        discussion: "Scripts/bench_checkpoints.py makes a ResNet-50-shaped file and compares with torch.load in the same run.")

    @Argument(help: "The checkpoint file.") var file: String
    @Argument(help: "Loads to time.") var repetitions = 3
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        let r = try CheckpointBenchmark.run(path: file, repetitions: repetitions)
        if json {
            struct Output: Encodable {
                let median_s: Double, seconds: [Double], peak_rss_bytes: Int, rss_before_bytes: Int, tensors: Int, elements: Int
            }
            let output = Output(median_s: r.medianSeconds, seconds: r.seconds, peak_rss_bytes: r.peakRSSBytes ?? -1,
                                rss_before_bytes: r.rssBeforeBytes ?? -1, tensors: r.tensorCount, elements: r.elementCount)
            print(String(decoding: try jsonEncoder.encode(MachineBenchmark.Tagged(output)), as: UTF8.self))
        } else {
            print(MachineBenchmark.header())
            let mb = 1048576.0
            print(String(format: "%@: %d tensors, %.1f MiB; median load %.1f ms over %d; peak RSS %.1f MiB",
                         file, r.tensorCount, Double(r.fileBytes) / mb, r.medianSeconds * 1e3, repetitions,
                         Double(r.peakRSSBytes ?? 0) / mb))
        }
    }
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

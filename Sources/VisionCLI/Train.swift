// `vision train`: trains a classifier on an image folder or a built-in dataset, writing a
// checkpoint (weights + architecture/classes/preprocessing + optimizer/scheduler/RNG state) and a
// metrics line after every epoch; `--resume` continues a stopped run exactly.
import ArgumentParser
import Foundation
import SwiftVision

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier on a folder of images (one subfolder per class) or a built-in dataset.",
        discussion: """
            Data: --data DIR is an ImageFolder (class subfolders, sorted; .jpg/.jpeg/.png files, the \
            formats the decoder reads: .bmp, .tif, .webp ... are left out). \
            Validation comes from --val DIR, or a seeded --val-split fraction of --data, or none. \
            --dataset fashion-mnist|mnist|cifar10 uses the built-in loaders (IDX or CIFAR binary/pickle \
            files in --dataset-path; Fashion-MNIST defaults to Debian's dataset-fashion-mnist package) \
            with their test split for validation.

            Model: --model names an architecture (`vision zoo list`, plus small_cnn for 28×28 inputs); \
            --pretrained loads a zoo name or a .pth/.safetensors file first, replacing the classifier \
            head when the class count differs (fine-tuning); --freeze-backbone then trains the head \
            alone (every other parameter keeps its pretrained value; BatchNorm statistics still update, \
            as in PyTorch with requires_grad_(False)).

            Preprocessing: training images get --augment (none: resize+centre crop; basic: \
            RandomResizedCrop + horizontal flip, torchvision's reference recipe; trivialaugment: basic \
            plus TrivialAugmentWide), then normalisation with --mean/--std (default: ImageNet's for 3 \
            channels, 0.5/0.5 for 1). Validation and later `vision classify`/`evaluate` use resize + \
            centre crop: shorter side to round(S/0.875) then S×S for --image-size S ≥ 64, else S. The \
            checkpoint records all of it, so `vision classify --weights OUT` needs no other flag.

            Output: OUT (default model.safetensors) is rewritten atomically after every epoch and on \
            Ctrl-C (the run stops at the next batch boundary, exit status 130); a NaN/Inf loss stops \
            the run and keeps the last good checkpoint. One JSON line per epoch goes to --metrics \
            (default OUT.metrics.jsonl), written after that epoch's checkpoint; the checkpoint is the \
            record, and a resumed run rewrites the metrics file from it. A kill at any moment loses at \
            most the epoch in progress; the next run removes the temporary files a killed one left. \
            While a run writes OUT it holds a lock (.OUT.lock): a second run on the same OUT is refused.

            Bad data: unreadable images are skipped with a warning; more than --max-skipped of an \
            epoch's samples (default 0.1), or an epoch with no sample at all, stops the run with an \
            error before the checkpoint is written, so an existing OUT is left as it was.

            Resume: `--resume OUT` with the same data flags continues exactly where the run stopped \
            (same final weights as an uninterrupted run). --epochs may change (raising it extends the \
            run; under the cosine schedule the LR from the current epoch t on follows the cosine over \
            the new length T, as a T-epoch run would at t; onecycle refuses), and so may \
            --label-smoothing: both are reported. The data and output options are used as given. \
            Every other training option (--batch-size, --seed, --channels, --image-size, --mean, \
            --std, --lr, --optimizer, --momentum, --weight-decay, --scheduler, --step-size, --gamma, \
            --milestones, --warmup-epochs) is refused with a message if it differs from the \
            checkpoint's; resuming a completed run without raising --epochs is an error.

            Several processes (data parallelism, like PyTorch's DistributedDataParallel): start it \
            with Open MPI, `mpirun -np N vision train ...` (as root add --allow-run-as-root; more \
            processes than cores need --oversubscribe; across machines --hostfile FILE; mpirun \
            binds a process to one core unless given --bind-to none; see Docs/Distributed.md). \
            Every process builds the same model, rank 0's weights are copied to the others, each \
            trains on its shard of every epoch (torch's DistributedSampler: one permutation of \
            --seed + epoch, padded to a multiple of N), gradients are averaged while backward runs, \
            and all step together. --batch-size is per process: the global batch is N × B (scale \
            --lr with it). BatchNorm uses each process's own batch statistics unless --sync-bn. \
            Rank 0 alone writes OUT, the metrics and the progress; validation is sharded and its \
            counts summed. Every process needs the data (and --pretrained file) at the same path. \
            A process that dies ends the run (mpirun stops the others); a collective that waits \
            longer than --dist-timeout seconds for the others ends it with an error naming the \
            rank. Ctrl-C on mpirun stops every process at the next batch boundary and rank 0 saves, \
            as alone, but mpirun kills the processes 1 s later (SIGTERM, then SIGKILL): for steps \
            longer than that give mpirun --mca odls_base_sigkill_timeout 30. `pkill -USR1 -x \
            mpirun` (forwarded to every process) stops the same way with no deadline. A run \
            stopped between epochs resumes with any N (or alone); one stopped mid-epoch resumes \
            with the same N.
            """)

    // Data
    @Option(help: "Image folder with one subfolder per class.") var data: String?
    @Option(help: "Built-in dataset instead of --data: fashion-mnist, mnist or cifar10.") var dataset: String?
    @Option(help: "Directory of the built-in dataset's files (default for fashion-mnist: \(FashionMNIST.debianDirectory)).")
    var datasetPath: String?
    @Option(help: "Validation image folder (same classes as --data).") var val: String?
    @Option(help: "Fraction of --data held out for validation (seeded split), e.g. 0.1.") var valSplit: Double?
    @Flag(help: "Stop at the first unreadable image instead of skipping it with a warning.") var strict = false
    @Option(help: "Largest fraction of an epoch's images (training, and validation) that may be unreadable and skipped before the run stops with an error.")
    var maxSkipped = 0.1
    @Option(help: "Images whose header claims more pixels than this are rejected before decoding (the default is Pillow's DecompressionBombError threshold).")
    var maxImagePixels = DecodeOptions.defaultMaxPixels
    @Option(help: "Decoding/augmentation worker threads (default: cores).") var workers: Int?

    // Model
    @Option(help: "Architecture, e.g. resnet18, vgg11_bn, small_cnn (default: small_cnn for 1-channel 28×28 data, else resnet18).")
    var model: String?
    @Option(help: "Start from these weights: a zoo name or a .pth/.safetensors file (the head is replaced if the class count differs).")
    var pretrained: String?
    @Flag(help: "Train only the classifier head (the last Linear, or conv for squeezenet, plus auxiliary heads); usually with --pretrained.")
    var freezeBackbone = false
    @Option(help: "Input channels: 3 (RGB) or 1 (grayscale). Default: 1 for fashion-mnist/mnist, else 3.") var channels: Int?
    @Option(help: "Side of the square images the model sees (default: 28 for fashion-mnist/mnist, 32 for cifar10, else 224).")
    var imageSize: Int?
    @Option(help: "Training augmentation: none, basic or trivialaugment (default: basic for --image-size ≥ 64, else none).")
    var augment: String?
    @Option(help: "Normalisation means, one per channel, comma-separated.") var mean: String?
    @Option(help: "Normalisation standard deviations, one per channel, comma-separated.") var std: String?

    // Optimisation
    // Optional so that --resume can tell a given option from a default (TrainResume.swift).
    @Option(help: "Epochs to train (in total, counting those of a resumed run; default 10).") var epochs: Int?
    @Option(help: "Images per batch (default 32).") var batchSize: Int?
    @Option(help: "Learning rate (default 0.1 for sgd, 0.001 for adam/adamw).") var lr: Double?
    @Option(help: "Optimizer: sgd, adam or adamw (default sgd).") var optimizer: String?
    @Option(help: "SGD momentum (default 0.9).") var momentum: Double?
    @Option(help: "Weight decay (default 1e-4 for sgd, 0 for adam, 0.01 for adamw).") var weightDecay: Double?
    @Option(help: "LR schedule: none, step, multistep, cosine or onecycle (default cosine).") var scheduler: String?
    @Option(help: "StepLR period in epochs (default 30).") var stepSize: Int?
    @Option(help: "StepLR/MultiStepLR factor (default 0.1).") var gamma: Double?
    @Option(help: "MultiStepLR milestones (epochs), comma-separated.") var milestones: String?
    @Option(help: "Epochs of linear warm-up before the schedule (default 0).") var warmupEpochs: Int?
    @Option(help: "Label smoothing of the cross-entropy loss, in [0, 1) (default 0).") var labelSmoothing: Double?
    @Option(help: "Seed of the model initialisation, data order, augmentation and dropout (default 0). As torch.manual_seed: the same initial weights and epoch permutations as PyTorch with this seed.") var seed: UInt64?

    // Output
    @Option(help: "Checkpoint file (.safetensors), rewritten after every epoch.") var out = "model.safetensors"
    @Option(help: "Per-epoch metrics, one JSON object per line (default: OUT.metrics.jsonl).") var metrics: String?
    @Option(help: "Continue the run saved in this checkpoint (usually OUT).") var resume: String?
    @Flag(help: "Plain progress lines even on a terminal.") var plain = false

    // Data parallelism (under mpirun)
    @Flag(help: "Under mpirun: BatchNorm normalises with the statistics of the whole global batch (PyTorch's SyncBatchNorm), not each process's own.")
    var syncBn = false
    @Option(help: "Under mpirun: seconds a collective may wait for the other processes before the run stops with an error naming this rank.")
    var distTimeout = 300.0

    func validate() throws {
        guard (data == nil) != (dataset == nil) else { throw ValidationError("give exactly one of --data DIR and --dataset NAME") }
        if let dataset, BuiltInDataset(rawValue: dataset) == nil {
            throw ValidationError("unknown --dataset '\(dataset)'; known: \(BuiltInDataset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if val != nil && valSplit != nil { throw ValidationError("give --val or --val-split, not both") }
        if let valSplit, !(valSplit > 0 && valSplit < 1) { throw ValidationError("--val-split must be in (0, 1), got \(valSplit)") }
        if dataset != nil && (val != nil || valSplit != nil) {
            throw ValidationError("--dataset validates on the dataset's test split; --val/--val-split are for --data")
        }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let imageSize, imageSize < 8 { throw ValidationError("--image-size must be at least 8") }
        if let augment, Augmentation(rawValue: augment) == nil {
            throw ValidationError("--augment must be none, basic or trivialaugment, got '\(augment)'")
        }
        if let optimizer, OptimizerKind(rawValue: optimizer) == nil { throw ValidationError("--optimizer must be sgd, adam or adamw") }
        if let scheduler, SchedulerKind(rawValue: scheduler) == nil {
            throw ValidationError("--scheduler must be one of \(SchedulerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let workers, workers < 0 { throw ValidationError("--workers must be at least 0") }
        guard maxSkipped >= 0 && maxSkipped <= 1 else { throw ValidationError("--max-skipped must be a fraction in [0, 1], got \(maxSkipped)") }
        guard maxImagePixels >= 1 else { throw ValidationError("--max-image-pixels must be at least 1, got \(maxImagePixels)") }
        guard distTimeout > 0 && distTimeout.isFinite else { throw ValidationError("--dist-timeout must be a positive number of seconds") }
        if syncBn && !MPIEnvironment.launchedByMPI() {
            throw ValidationError("--sync-bn synchronises BatchNorm across the processes of a data-parallel run: start it with mpirun -np N vision train ...")
        }
    }

    func run() throws {
        // Under mpirun: join the other processes; any error then ends all of them (MPI_Abort), an
        // interruption (all ranks stop at the same step) and success leave through MPI_Finalize.
        guard MPIEnvironment.launchedByMPI() else { return try train(group: nil) }
        let group = try DataParallel.join(timeout: distTimeout)
        do {
            try train(group: group)
        } catch let exit as ExitCode {
            try? group.finalize()
            throw exit
        } catch {
            group.abort(code: 1, message: "\(error)")
        }
        try group.finalize()
    }

    /// The run, alone or as one rank of `group`.
    func train(group: MPICommunicator?) throws {
        let builtIn = dataset.flatMap(BuiltInDataset.init(rawValue:))
        let metricsPath = metrics ?? out + ".metrics.jsonl"
        let writer = (group?.rank ?? 0) == 0
        // Prints on rank 0 only.
        func say(_ text: String) { if writer { print(text) } }
        // One writer per output: a second run on the same OUT (or metrics file) is refused here.
        let locks = try (writer ? Set([out, metricsPath]).sorted() : []).map { path in
            do throws(FileError) { return try FileLock(path: path, owner: "vision train --out \(out)") } catch {
                throw CLIError(error.description)
            }
        }
        defer { for lock in locks { lock.release() } }
        let checkpoint = try resume.map { try DataParallel.loadCheckpoint($0, group: group) }
        let config: TrainingConfig
        if let checkpoint {
            guard let spec = checkpoint.spec, let state = checkpoint.trainState else {
                throw CLIError("\(checkpoint.path): the file does not record its \(checkpoint.spec == nil ? "architecture" : "training state"); "
                    + "it was not written by `vision train` (to start from its weights use --pretrained)")
            }
            if let model, try ModelName(model).architecture != spec.architecture {
                throw CLIError("\(checkpoint.path) is a \(spec.architecture) checkpoint, but --model is \(model)")
            }
            config = try resumedConfig(state.config, spec: spec, path: checkpoint.path)
            if state.epoch >= config.epochs {
                throw CLIError("\(checkpoint.path): the run has completed its \(state.epoch) epochs; nothing to train "
                    + "(raise --epochs above \(state.epoch) to continue it)")
            }
        } else {
            config = try trainingConfig()
        }
        let data = try TrainingData.prepare(self, builtIn: builtIn, resumed: checkpoint?.spec,
                                            seed: config.seed, batchSize: config.batchSize, ranks: group.map { ($0.rank, $0.size) })
        if let group { say(DataParallel.summary(group, batchSize: config.batchSize, syncBatchNorm: syncBn)) }

        let trainer: Trainer
        if let checkpoint, let spec = checkpoint.spec {
            guard spec.classNames.isEmpty || spec.classNames == data.classes else {
                throw CLIError("\(checkpoint.path) was trained on classes \(spec.classNames.joined(separator: ", ")); the data has \(data.classes.joined(separator: ", "))")
            }
            trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: config, checkpointPath: out, metricsPath: metricsPath,
                                  processGroup: group, syncBatchNorm: syncBn)
            let info = try trainer.resume(from: checkpoint)
            say("resuming \(checkpoint.path): \(info.epochsCompleted) epochs done" + (info.batch > 0 ? ", batch \(info.batch) of the next" : ""))
            for change in info.configChanges { say("  applied: \(change)") }
            if config.scheduler == .cosine, info.configChanges.contains(where: { $0.hasPrefix("epochs:") }) {
                say("  the cosine schedule now spans \(config.epochs) epochs: from epoch \(info.epochsCompleted + 1) the LR follows it")
            }
        } else {
            var spec = data.spec
            let start = try pretrained.map { try loadPretrainedWeights($0, architecture: spec.architecture) }
            // googlenet/inception_v3 from the zoo's weights train (and are recorded) with transform_input.
            if start?.transformInput == true { spec.transformInput = true }
            let module = try spec.makeModel(seed: config.seed)
            trainer = try Trainer(model: module, spec: spec, config: config, checkpointPath: out, metricsPath: metricsPath,
                                  processGroup: group, syncBatchNorm: syncBn)
            if let start {
                let report = try FineTuning.loadPretrained(start.weights, into: module, path: start.path)
                say("pretrained \(start.path): \(report)" + (spec.transformInput ? " (with transform_input)" : ""))
            }
        }

        let interrupt = InterruptFlag()
        let stopSignals = group == nil ? [SIGINT] : [SIGINT, SIGTERM, SIGUSR1, SIGCONT]
        // A parent that started us from a thread with these signals blocked (as Dispatch's workers
        // are) passes that mask on: unblock them, or a stop would stay pending until the run ends.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in stopSignals { sigaddset(&unblocked, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        interrupt.installSIGINTHandler(also: Array(stopSignals.dropFirst()))
        defer { interrupt.removeSIGINTHandler() }
        let reporter = writer ? ProgressPrinter(style: plain ? .plain : .automatic) : nil
        trainer.maxSkippedFraction = strict ? 0 : maxSkipped
        let result = try trainer.fit(train: data.train, validation: data.validation, reporter: reporter, interrupt: interrupt)
        let skipped = data.skipCounter.count
        if skipped > 0 {
            reportError((group.map { "rank \($0.rank): " } ?? "") + "skipped \(skipped) unreadable images (see the warnings above; --strict stops at the first)")
        }
        switch result.status {
        case .completed:
            say("saved \(out) (\(trainer.spec.architecture), \(trainer.spec.numClasses) classes); metrics in \(metricsPath)")
        case .interrupted:
            say("interrupted: checkpoint saved to \(out) at epoch \(result.epochsCompleted + 1), batch \(result.batch); "
                + "continue with the same command plus --resume \(out)")
            throw ExitCode(130)
        }
    }

    /// A new run's hyper-parameters from the flags (defaults for those not given).
    func trainingConfig() throws -> TrainingConfig {
        let d = TrainingConfig()
        let config = TrainingConfig(
            epochs: epochs ?? 10, batchSize: batchSize ?? 32, lr: lr, optimizer: OptimizerKind(rawValue: optimizer ?? "sgd")!,
            momentum: momentum ?? d.momentum, weightDecay: weightDecay, scheduler: SchedulerKind(rawValue: scheduler ?? "cosine")!,
            stepSize: stepSize ?? d.stepSize, gamma: gamma ?? d.gamma, milestones: try milestones.map(parseMilestones) ?? [],
            warmupEpochs: warmupEpochs ?? 0, labelSmoothing: labelSmoothing ?? 0, seed: seed ?? 0,
            freezeBackbone: freezeBackbone)
        try config.validate()
        return config
    }

    /// "10,20" → [10, 20] for --milestones.
    func parseMilestones(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part -> Int in
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--milestones: '\(part)' is not an integer") }
            return v
        }
    }
}

/// Weights for `--pretrained`: a file, or a zoo name whose file is cached; and whether a model of
/// `architecture` needs torchvision's transform_input for them (`WeightsFile.transformInput`).
func loadPretrainedWeights(_ name: String, architecture: String) throws -> (path: String, weights: StateDict, transformInput: Bool) {
    let file = try WeightsFile(name, option: "--pretrained")
    let weights = try TrainingCheckpoint.load(file.path).model
    return (file.path, weights, file.transformInput(architecture: architecture, metadata: ModelMetadata(weights.metadata)))
}

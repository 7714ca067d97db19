// The training loop. Per step, as PyTorch's reference: zero the gradients, forward in train mode,
// cross-entropy with label smoothing, backward, optimizer step, then the scheduler step when it
// runs per batch (OneCycleLR); per-epoch schedulers step after the epoch's validation pass.
//
// Exact resumption. A run's future depends on: the weights, the optimizer's buffers and
// hyper-parameters, the scheduler's position, the process-wide random generator (dropout), the
// position (epoch, batch) and the data order — which `BatchSource` makes a function of (seed,
// epoch) alone. Checkpoints record all of it (TrainState.swift); `resume` restores it, and the
// scheduler is rebuilt from the configuration before its state is loaded (the optimizer state is
// loaded after the scheduler's construction, which would otherwise overwrite the LR/momentum). A
// resumed run therefore performs bit for bit the same arithmetic as an uninterrupted one.
//
// Failure behaviour: the output paths are probed before anything runs; a NaN/Inf loss throws
// before the step is applied and before any checkpoint is written, so the last good checkpoint
// stays as it was; an `InterruptFlag` stops at the next batch boundary with a checkpoint.
//
// Crash consistency: the checkpoint is the record of the run. It carries the metrics of every
// completed epoch (`TrainState.history`); an epoch's metrics line is written only after its
// checkpoint is durable, and the first metrics write of a run replaces the file by that history
// (MetricsLog.swift). A kill at any moment loses at most the epoch in progress (or, after a
// Ctrl-C checkpoint, nothing), and the next run's files agree with its checkpoint.
//
// No silent success: an epoch in which more than `maxSkippedFraction` of the samples could not be
// read, or which trained on no sample at all, throws before its checkpoint is written. (`fit` on a
// run that is already complete does nothing; `vision train --resume` refuses that case.)
//
// Resuming with other settings: `epochs` and `labelSmoothing` may differ from the checkpoint's;
// any other difference is refused (`resume` throws), since the optimizer and schedule continue
// from their saved state and would silently ignore it. Under a cosine schedule a changed `epochs`
// moves the horizon: from the current epoch t on, the LR follows the cosine of the new length T,
// ηmin + (η₀ − ηmin)(1 + cos(π·t/T))/2, as a run planned with T epochs from the start would at t.
// OneCycleLR spans the whole run by construction and refuses a new length.
//
// Data parallelism (a `ProcessGroup`): every process runs this loop over its shard of the data
// (`DistributedShard`), in lockstep. The first `fit` copies rank 0's weights and buffers to every
// rank; each step's gradients are averaged while backward runs (GradientReducer.swift), then one
// small all-reduce per step sums the loss, the correct count, the sample count and the interrupt
// and non-finite flags, so every rank logs the same numbers and stops at the same batch boundary.
// Validation runs on each rank's shard and sums the counts. Only rank 0 writes the checkpoint and
// the metrics; the checkpoint records the world size, and a mid-epoch position resumes only with
// the same world size (the batch index counts shards of that size).

import Checkpoints
import Datasets
import Files
import Foundation
import Models
import NN
import Tensors

/// Trains a classifier over `BatchSource`s, writing a checkpoint and a metrics line every epoch.
public final class Trainer {
    /// The model being trained.
    public let model: Module
    /// What the checkpoints record about the model.
    public let spec: ModelSpec
    /// The run's hyper-parameters.
    public let config: TrainingConfig
    /// The optimizer over `model.parameters()`.
    public let optimizer: any Optimizer
    /// The LR scheduler, built by the first `fit` (it needs the batches per epoch).
    public private(set) var scheduler: LRScheduler?
    /// Where the checkpoint is written (after every epoch and on interruption), if anywhere.
    public let checkpointPath: String?
    /// The per-epoch metrics log, if any.
    public let metricsLog: MetricsLog?
    /// The processes of a data-parallel run (nil: this process trains alone).
    public let processGroup: (any ProcessGroup)?
    /// Whether this process writes the checkpoint and the metrics: rank 0, or a process alone.
    public var isWriter: Bool { (processGroup?.rank ?? 0) == 0 }
    /// The processes sharing each step (1 without a group).
    public var worldSize: Int { processGroup?.size ?? 1 }
    private var reducer: GradientReducer?
    private var initialStateShared = false
    /// Gradient bucket sizes of a data-parallel run: DDP's 1 MB first bucket, then 25 MB (read
    /// when the first `fit` starts).
    package var gradientBucketBytes = (first: GradientReducer.firstBucketBytes, rest: GradientReducer.bucketBytes)
    /// Seconds data-parallel steps spent after backward waiting for the gradient all-reduce and
    /// summing the step's totals: the communication that backward did not hide.
    public private(set) var exposedCommunicationSeconds = 0.0
    /// Bytes of gradient each data-parallel step all-reduces (0 before the first `fit`, or alone).
    public var gradientBytesPerStep: Int { reducer?.bytesPerStep ?? 0 }

    /// Epochs completed so far (also the 0-based index of the next epoch).
    public private(set) var epochsCompleted = 0
    /// Batches of the next epoch already trained (non-zero only after a mid-epoch stop).
    public private(set) var batchInEpoch = 0
    /// Optimizer steps so far.
    public private(set) var steps = 0

    private var progress = EpochProgress()
    private var pending: TrainState?
    private var schedulerBatches: Int?
    private var started = false
    private var lastCheckpoint: String?
    /// Metrics of every completed epoch of the run (restored on resume); nil when resumed from a
    /// checkpoint that did not record them.
    private var runHistory: [EpochMetrics]? = []
    /// What the metrics file held of a resumed checkpoint's epochs when that checkpoint carries no
    /// history and the file does not cover all of them: the first write keeps these lines only.
    private var linesWithoutHistory: [EpochMetrics]?
    /// Whether this trainer has written the metrics file yet (its first write replaces it).
    private var metricsWritten = false
    /// Set by `resume` when `epochs` changed under a cosine schedule: `prepare` moves the horizon.
    private var rebaseCosine = false

    /// The largest fraction of an epoch's samples (training, and validation separately) that may be
    /// skipped as unreadable before the run stops with `TrainingError.tooManySkipped`. Default 0.1.
    public var maxSkippedFraction = 0.1

    /// The metrics of every completed epoch of the run, as the checkpoint records them.
    public var metricsHistory: [EpochMetrics] { runHistory ?? [] }

    /// A trainer for a fresh run (or one to `resume`).
    /// - Parameters:
    ///   - checkpointPath: the run's safetensors file, rewritten atomically after every epoch.
    ///   - metricsPath: a JSON Lines file that gets one `EpochMetrics` line per epoch.
    ///   Temporary files of either path left by a killed process are removed now.
    ///   - processGroup: the processes of a data-parallel run; only rank 0 uses the two paths
    ///     (the others write nothing). Each rank's data must be its shard (`DistributedShard`).
    ///   - syncBatchNorm: with a group, batch-norm layers normalise with the statistics of the
    ///     whole global batch (PyTorch's `SyncBatchNorm`) instead of each rank's own.
    /// - Throws: `TrainingError.invalidConfig`, or `.outputNotWritable` when either path cannot be
    ///   written (checked now by creating and removing a file next to it).
    public init(model: Module, spec: ModelSpec, config: TrainingConfig, checkpointPath: String? = nil,
                metricsPath: String? = nil, processGroup: (any ProcessGroup)? = nil, syncBatchNorm: Bool = false) throws {
        try config.validate()
        let writes = (processGroup?.rank ?? 0) == 0
        let checkpointPath = writes ? checkpointPath : nil, metricsPath = writes ? metricsPath : nil
        for path in [checkpointPath, metricsPath].compactMap({ $0 }) { AtomicFile.removeStaleTemporaries(of: path) }
        if let checkpointPath { try OutputProbe.checkWritable(checkpointPath) }
        metricsLog = try metricsPath.map { try MetricsLog(path: $0) }
        self.model = model
        self.spec = spec
        self.config = config
        self.checkpointPath = checkpointPath
        if config.freezeBackbone {
            guard !FineTuning.freezeBackbone(of: model).isEmpty else {
                throw TrainingError.invalidConfig("freeze backbone: \(model.summary) has no classifier head (no Linear or Conv2d) to train")
            }
        }
        optimizer = config.makeOptimizer(model.parameters())
        self.processGroup = processGroup
        if let processGroup, syncBatchNorm {
            let sum = GroupStatisticsSum(processGroup)
            for case let bn as BatchNorm2d in model.namedModules().map(\.module) { bn.statisticsSync = sum }
        }
    }

    // MARK: Resuming

    /// What `resume` restored.
    public struct ResumeInfo: Sendable {
        /// Epochs completed and batches of the next epoch done, as recorded.
        public var epochsCompleted: Int
        public var batch: Int
        /// Settings of this trainer's configuration that differ from the checkpoint's and are
        /// applied (only `epochs` and `label_smoothing` may differ), e.g. "epochs: 10 -> 20", for the
        /// caller to show; empty when identical.
        public var configChanges: [String]
    }

    /// Restores model weights, optimizer, scheduler, random generator and position from a
    /// checkpoint written by a trainer, so that `fit` continues exactly where that run stopped.
    /// - Throws: `TrainingError.checkpointMismatch` naming the first key whose shape differs (or
    ///   that is missing) when the file is from another architecture or class count;
    ///   `.invalidCheckpoint` when it has no training state or its optimizer state does not fit;
    ///   `.invalidConfig` naming the settings that differ from the checkpoint's and cannot change
    ///   (all but `epochs` and `labelSmoothing`; `epochs` neither under OneCycleLR).
    @discardableResult
    public func resume(from checkpoint: TrainingCheckpoint) throws -> ResumeInfo {
        guard let state = checkpoint.trainState else {
            throw TrainingError.invalidCheckpoint(path: checkpoint.path,
                                                  reason: "the file has no training state (train_state.*) to resume from; to start from its weights, load them with FineTuning.loadPretrained")
        }
        let recorded = checkpoint.spec.map { " (the file is a \($0.architecture) checkpoint with \($0.numClasses) classes)" } ?? ""
        try loadWeights(checkpoint.model, into: model,
                        name: "\(spec.architecture) with \(spec.numClasses) classes\(recorded)", path: checkpoint.path)
        do {
            try optimizer.loadStateDict(state.optimizer)
        } catch {
            throw TrainingError.invalidCheckpoint(path: checkpoint.path, reason: "optimizer state does not fit: \(error)")
        }
        let changes = Self.differences(state.config, config)
        let fixed = changes.filter { !$0.hasPrefix("epochs:") && !$0.hasPrefix("label_smoothing:") }
        if !fixed.isEmpty {
            throw TrainingError.invalidConfig("resuming \(checkpoint.path): \(fixed.joined(separator: ", ")) cannot change; the "
                + "optimizer and schedule continue from their saved state (start a new run from these weights to change them)")
        }
        if state.config.epochs != config.epochs && config.scheduler == .onecycle {
            throw TrainingError.invalidConfig("resuming \(checkpoint.path): epochs cannot change (\(state.config.epochs) -> \(config.epochs)) "
                + "under a onecycle schedule, which spans the whole run; start a new run from these weights instead")
        }
        if state.batch > 0 && state.worldSize != worldSize {
            throw TrainingError.invalidConfig("resuming \(checkpoint.path): the run stopped in the middle of epoch \(state.epoch + 1) "
                + "with \(state.worldSize) process\(state.worldSize == 1 ? "" : "es"), whose batches were shards for that many; "
                + "resume it with \(state.worldSize == 1 ? "a single process" : "mpirun -np \(state.worldSize)") (a run that stopped "
                + "between epochs resumes with any number)")
        }
        pending = state
        epochsCompleted = state.epoch
        batchInEpoch = state.batch
        steps = state.step
        progress = state.progress
        runHistory = state.history
        if state.history == nil, let metricsLog {
            // A checkpoint written before it carried its history: the metrics file's own lines of
            // its epochs (the last of each) become the record if they cover every epoch; either way
            // the first write puts the file in line with the checkpoint (no duplicates, nothing
            // beyond its epoch).
            let lines = metricsLog.lines(through: state.epoch)
            if lines.map(\.epoch) == Array(stride(from: 1, through: state.epoch, by: 1)) {
                runHistory = lines
            } else {
                linesWithoutHistory = lines
            }
        }
        rebaseCosine = state.config.epochs != config.epochs && config.scheduler == .cosine
        started = true
        return ResumeInfo(epochsCompleted: state.epoch, batch: state.batch, configChanges: changes)
    }

    /// Loads the checkpoint at `path` and resumes from it (see `resume(from:)`).
    @discardableResult
    public func resume(from path: String) throws -> ResumeInfo {
        try resume(from: try TrainingCheckpoint.load(path))
    }

    /// A trainer rebuilt from a checkpoint alone: its architecture, classes, preprocessing and
    /// configuration, resumed where it stopped. `checkpointPath` defaults to the same file;
    /// `epochs` extends (or shortens) the recorded run.
    public static func resuming(from path: String, checkpointPath: String? = nil, metricsPath: String? = nil,
                                epochs: Int? = nil) throws -> Trainer {
        let checkpoint = try TrainingCheckpoint.load(path)
        guard let spec = checkpoint.spec, let state = checkpoint.trainState else {
            throw TrainingError.invalidCheckpoint(path: path, reason: "the file has no \(checkpoint.spec == nil ? "architecture metadata" : "training state") to resume from")
        }
        var config = state.config
        if let epochs { config.epochs = epochs }
        let trainer = try Trainer(model: try spec.makeModel(), spec: spec, config: config,
                                  checkpointPath: checkpointPath ?? path, metricsPath: metricsPath)
        try trainer.resume(from: checkpoint)
        return trainer
    }

    // MARK: Training

    /// Trains from the current position to `config.epochs`, validating after every epoch.
    /// - Parameters:
    ///   - train: the training batches; its `classes` must match the model's class count.
    ///   - validation: optional validation batches (evaluated with epoch 0 every time).
    ///   - reporter: receives progress events.
    ///   - interrupt: polled after every step; when set, a checkpoint is written at that batch
    ///     boundary and the result is `.interrupted`.
    /// - Throws: `TrainingError.nonFiniteLoss` (no checkpoint is written for the diverged epoch),
    ///   `.tooManySkipped`, `.noTrainingSteps`,
    ///   `.dataMismatch`, data-source errors and checkpoint write errors.
    @discardableResult
    public func fit(train: any BatchSource, validation: (any BatchSource)? = nil, reporter: (any TrainingReporter)? = nil,
                    interrupt: InterruptFlag? = nil) throws -> TrainingResult {
        let batches = train.batchesPerEpoch
        guard batches > 0 else { throw TrainingError.dataMismatch("the training data has no batches") }
        try checkClasses(train.classes, "training")
        if let validation { try checkClasses(validation.classes, "validation") }
        try prepare(batchesPerEpoch: batches)
        // A resumed run's metrics file may hold lines of an epoch whose checkpoint never made it
        // (or none of those that did): put it back in line with the checkpoint now.
        if epochsCompleted > 0, let runHistory, !metricsWritten, let metricsLog {
            try metricsLog.rewrite(runHistory)
            metricsWritten = true
        }
        var history: [EpochMetrics] = []
        func result(_ status: TrainingResult.Status) -> TrainingResult {
            let r = TrainingResult(status: status, epochsCompleted: epochsCompleted, batch: batchInEpoch, steps: steps,
                                   history: history, checkpointPath: lastCheckpoint)
            reporter?.report(.finished(r))
            return r
        }
        reporter?.report(.started(TrainingPlan(
            epochs: config.epochs, batchesPerEpoch: batches, samplesPerEpoch: train.samplesPerEpoch * worldSize,
            startEpoch: epochsCompleted + 1, startBatch: batchInEpoch, validates: validation != nil,
            architecture: spec.architecture, parameterCount: model.parameterCount)))
        try shareInitialState()
        if try stopRequested(interrupt) && epochsCompleted < config.epochs {
            try saveCheckpoint(reporter)
            return result(.interrupted)
        }
        let clock = ContinuousClock()
        while epochsCompleted < config.epochs {
            let epochStart = clock.now
            let epoch = epochsCompleted
            model.train()
            let stream = train.batches(epoch: epoch, from: batchInEpoch)
            var lastLR = optimizer.lr
            while let batch = try stream.next() {
                try checkSkipped(stream.skippedSamples, of: train.samplesPerEpoch, split: "training", epoch: epoch + 1)
                guard batchInEpoch < batches else {
                    throw TrainingError.dataMismatch("the training source yielded more than its \(batches) batches per epoch")
                }
                guard batch.count > 0 else {
                    if let processGroup {
                        throw TrainingError.dataMismatch("rank \(processGroup.rank): no sample of batch \(batchInEpoch + 1) of epoch \(epoch + 1) "
                            + "could be read; every rank of a data-parallel run needs at least one per batch")
                    }
                    continue
                }
                try checkImages(batch, shape: spec.imageShape)
                try checkLabels(batch, classes: spec.numClasses)
                let stepStart = clock.now
                lastLR = optimizer.lr
                let step = try processGroup == nil ? trainStep(batch, epoch: epoch)
                    : dataParallelStep(batch, epoch: epoch, interrupt: interrupt)
                if config.schedulerStepsPerBatch { scheduler?.step() }
                steps += 1
                batchInEpoch += 1
                progress.lossSum += Double(step.loss) * Double(step.samples)
                progress.correct += step.correct
                progress.samples += step.samples
                progress.seconds += seconds(clock.now - stepStart)
                reporter?.report(.step(stepProgress(loss: step.loss, lr: lastLR, batches: batches)))
                // Alone, the flag as it is now (a reporter may have set it); in a group, as all ranks saw it.
                let stop = processGroup == nil ? interrupt?.isSet == true : step.stop
                if stop && batchInEpoch < batches {
                    try saveCheckpoint(reporter)
                    return result(.interrupted)
                }
            }
            let trainSeconds = seconds(clock.now - epochStart)
            var skipped = stream.skippedSamples
            try checkSkipped(skipped, of: train.samplesPerEpoch, split: "training", epoch: epoch + 1)
            skipped = try sumOverRanks(skipped)
            guard progress.samples > 0 else { throw TrainingError.noTrainingSteps(epoch: epoch + 1) }
            var evaluation: EvaluationResult?
            if let validation {
                reporter?.report(.validating(epoch: epoch + 1, batches: validation.batchesPerEpoch))
                let evaluator = Evaluator(model: model, spec: spec, labelSmoothing: config.labelSmoothing)
                var counts = try evaluator.accumulate(validation, epoch: 0, numClasses: spec.numClasses)
                if let processGroup { try counts.sumAcrossProcesses { try processGroup.allReduceSum(&$0) } }
                evaluation = counts.result(classNames: validation.classes)
                let valSkipped = evaluation?.skippedSamples ?? 0
                try checkSkipped(valSkipped, of: validation.samplesPerEpoch, split: "validation", epoch: epoch + 1)
                skipped += valSkipped
            }
            if !config.schedulerStepsPerBatch { scheduler?.step() }
            let metrics = EpochMetrics(
                epoch: epoch + 1, trainLoss: progress.meanLoss, trainAccuracy: progress.accuracy,
                valLoss: evaluation?.loss, valAccuracy1: evaluation?.top1, valAccuracy5: evaluation?.top5, lr: lastLR,
                seconds: seconds(clock.now - epochStart), trainSeconds: trainSeconds,
                imagesPerSecond: progress.seconds > 0 ? Double(progress.samples) / progress.seconds : 0,
                skippedSamples: skipped)
            epochsCompleted += 1
            batchInEpoch = 0
            progress = EpochProgress()
            history.append(metrics)
            runHistory?.append(metrics)
            reporter?.report(.epochFinished(metrics))
            try saveCheckpoint(reporter)
            try writeMetrics(metrics)
            if try stopRequested(interrupt) && epochsCompleted < config.epochs { return result(.interrupted) }
        }
        return result(.completed)
    }

    /// The weight of each auxiliary classifier's loss (googlenet's aux1 and aux2, inception_v3's
    /// AuxLogits): loss = main + 0.4 · Σ aux, the weighting of PyTorch's fine-tuning recipe for
    /// these models (the GoogLeNet paper used 0.3).
    public static let auxiliaryLossWeight: Float = 0.4

    /// What one step reports: the mean loss and the correct top-1 count over `samples` (the global
    /// batch in a data-parallel run), and (in a group) whether any rank asked to stop.
    private struct StepResult { var loss: Float, correct: Int, samples: Int, stop: Bool }

    /// One optimisation step; returns the batch's loss (with the auxiliary classifiers' terms, see
    /// `auxiliaryLossWeight`) and the number of correct top-1 predictions of the main logits.
    private func trainStep(_ batch: Batch, epoch: Int) throws -> StepResult {
        optimizer.zeroGrad()
        let (loss, logits) = forwardLoss(batch)
        let value = loss.item()
        guard value.isFinite else { throw nonFiniteLoss(value, epoch: epoch) }
        try loss.backward()
        optimizer.step()
        return StepResult(loss: value, correct: correctCount(logits, batch), samples: batch.count, stop: false)
    }

    /// One step of a data-parallel run: backward overlaps the gradient all-reduce; then one
    /// all-reduce of [loss sum, correct, samples, stop, non-finite] makes every rank report the
    /// global batch and stop (or fail on a non-finite loss) at the same step.
    private func dataParallelStep(_ batch: Batch, epoch: Int, interrupt: InterruptFlag?) throws -> StepResult {
        guard let processGroup, let reducer else { return try trainStep(batch, epoch: epoch) }
        optimizer.zeroGrad()
        let (loss, logits) = forwardLoss(batch)
        let value = loss.item()
        reducer.beginStep()
        try loss.backward(leafReady: reducer.leafReady)
        let clock = ContinuousClock(), waitStart = clock.now
        try reducer.finish()
        var totals = [Double(value) * Double(batch.count), Double(correctCount(logits, batch)), Double(batch.count),
                      interrupt?.isSet == true ? 1 : 0, value.isFinite ? 0 : 1]
        try processGroup.allReduceSum(&totals)
        exposedCommunicationSeconds += seconds(clock.now - waitStart)
        let mean = Float(totals[0] / max(totals[2], 1))
        guard totals[4] == 0 else { throw nonFiniteLoss(value.isFinite ? mean : value, epoch: epoch) }
        optimizer.step()
        return StepResult(loss: mean, correct: Int(totals[1]), samples: Int(totals[2]), stop: totals[3] > 0)
    }

    /// The loss of the batch (main logits plus the weighted auxiliary terms) and the main logits.
    private func forwardLoss(_ batch: Batch) -> (loss: Tensor, logits: Tensor) {
        let smoothing = Float(config.labelSmoothing)
        let (logits, auxiliary) = (model as? AuxiliaryClassifiers)?.logitsWithAuxiliary(batch.images) ?? (model(batch.images), [])
        var loss = crossEntropy(logits, batch.labels, labelSmoothing: smoothing)
        if !auxiliary.isEmpty {
            let aux = auxiliary.dropFirst().reduce(crossEntropy(auxiliary[0], batch.labels, labelSmoothing: smoothing)) {
                $0 + crossEntropy($1, batch.labels, labelSmoothing: smoothing)
            }
            loss = loss + Self.auxiliaryLossWeight * aux
        }
        return (loss, logits)
    }

    private func correctCount(_ logits: Tensor, _ batch: Batch) -> Int {
        let predicted = logits.detached().argmax(dim: 1).scalars
        return zip(predicted, batch.labels).reduce(0) { $0 + (Int($1.0) == $1.1 ? 1 : 0) }
    }

    private func nonFiniteLoss(_ value: Float, epoch: Int) -> TrainingError {
        let kept = checkpointPath.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        return .nonFiniteLoss(epoch: epoch + 1, batch: batchInEpoch + 1, step: steps + 1, value: value, lastCheckpoint: kept)
    }

    // MARK: Data parallelism

    /// Copies rank 0's parameters and buffers to every rank, once (a fresh run's weights come from
    /// the same seed everywhere, but `--pretrained` files or a resumed checkpoint are only
    /// guaranteed on rank 0).
    private func shareInitialState() throws {
        guard let processGroup, !initialStateShared else { return }
        reducer = GradientReducer(parameters: model.parameters(), group: processGroup,
                                  firstBucketBytes: gradientBucketBytes.first, bucketBytes: gradientBucketBytes.rest)
        for (_, p) in model.namedParameters() {
            var value = p.value.detached()
            try value.withUnsafeMutableBufferPointer { try processGroup.broadcast($0, root: 0) }
            p.value = value
        }
        for (_, b) in model.namedBuffers() {
            var value = b.value
            try value.withUnsafeMutableBufferPointer { try processGroup.broadcast($0, root: 0) }
            b.value = value
        }
        initialStateShared = true
    }

    /// Whether the run must stop now: this process's interrupt flag, or any rank's in a group.
    private func stopRequested(_ interrupt: InterruptFlag?) throws -> Bool {
        let local = interrupt?.isSet == true
        guard let processGroup else { return local }
        var flag = [local ? 1.0 : 0]
        try processGroup.allReduceSum(&flag)
        return flag[0] > 0
    }

    /// `count` summed over the ranks (itself without a group).
    private func sumOverRanks(_ count: Int) throws -> Int {
        guard let processGroup else { return count }
        var total = [Double(count)]
        try processGroup.allReduceSum(&total)
        return Int(total[0])
    }

    /// Builds the scheduler on first use and applies a pending resumed state (optimizer after the
    /// scheduler's construction, which changes the LR; then the scheduler's position and the RNG).
    private func prepare(batchesPerEpoch: Int) throws {
        if let built = schedulerBatches, built != batchesPerEpoch, config.schedulerStepsPerBatch {
            throw TrainingError.dataMismatch("the training data now has \(batchesPerEpoch) batches per epoch, the schedule was built for \(built)")
        }
        if schedulerBatches == nil {
            scheduler = config.makeScheduler(optimizer, batchesPerEpoch: batchesPerEpoch)
            schedulerBatches = batchesPerEpoch
        }
        if let state = pending {
            try optimizer.loadStateDict(state.optimizer)
            if let s = state.scheduler, let scheduler { scheduler.load(s) }
            if rebaseCosine { moveCosineHorizon() }
            TorchGenerator.withDefault { $0 = state.rng }
            pending = nil
        } else if !started {
            // Dropout draws from the process-wide generator: start it from the run's seed, apart
            // from the stream that initialised the weights.
            TorchGenerator.manualSeed(config.seed ^ 0x7472_6169_6E5F_726E)
        }
        started = true
    }

    /// Throws when more than `maxSkippedFraction` of an epoch's `samples` were skipped.
    private func checkSkipped(_ skipped: Int, of samples: Int, split: String, epoch: Int) throws {
        guard skipped > 0, Double(skipped) > maxSkippedFraction * Double(samples) else { return }
        throw TrainingError.tooManySkipped(split: split, epoch: epoch, skipped: skipped, samples: samples,
                                           maxFraction: maxSkippedFraction)
    }

    /// The metrics line of the epoch just saved: the first write of this trainer replaces the
    /// file by the whole history (a stale file of an earlier run, or lines the checkpoint lacks).
    private func writeMetrics(_ metrics: EpochMetrics) throws {
        guard let metricsLog else { return }
        if !metricsWritten, let runHistory {
            try metricsLog.rewrite(runHistory)
        } else if !metricsWritten, let linesWithoutHistory {
            try metricsLog.rewrite(linesWithoutHistory + [metrics])
        } else {
            try metricsLog.append(metrics)
        }
        metricsWritten = true
    }

    /// Under a cosine schedule whose length changed on resume: sets the LR (and the scheduler's
    /// record of it) to the new cosine's value at the current epoch (see the file's header).
    private func moveCosineHorizon() {
        guard let scheduler else { return }
        var state = scheduler.state
        if let cosine = scheduler as? CosineAnnealingLR, let lr = cosine.closedFormLR(epoch: state.lastEpoch) {
            state.lastLR = lr
        } else if let sequence = scheduler as? SequentialLR, sequence.schedulers.count == 2,
                  let cosine = sequence.schedulers[1] as? CosineAnnealingLR, state.lastEpoch >= config.warmupEpochs,
                  let lr = cosine.closedFormLR(epoch: state.children[1].lastEpoch) {
            state.children[1].lastLR = lr
            state.lastLR = lr
        } else {
            return
        }
        scheduler.load(state)
    }

    private func checkClasses(_ classes: [String], _ what: String) throws {
        guard classes.isEmpty || classes.count == spec.numClasses else {
            throw TrainingError.dataMismatch("the \(what) data has \(classes.count) classes, the model \(spec.numClasses)")
        }
    }

    private func stepProgress(loss: Float, lr: Double, batches: Int) -> StepProgress {
        let pace = batchInEpoch > 0 ? progress.seconds / Double(batchInEpoch) : 0
        let remaining = (config.epochs - epochsCompleted - 1) * batches + (batches - batchInEpoch)
        return StepProgress(epoch: epochsCompleted + 1, epochs: config.epochs, batch: batchInEpoch, batchesPerEpoch: batches,
                            step: steps, loss: loss, meanLoss: progress.meanLoss, accuracy: progress.accuracy, lr: lr,
                            imagesPerSecond: progress.seconds > 0 ? Double(progress.samples) / progress.seconds : 0,
                            elapsed: progress.seconds, eta: pace * Double(remaining))
    }

    // MARK: Checkpoints

    /// The state a checkpoint written now would carry.
    public var trainState: TrainState {
        TrainState(epoch: epochsCompleted, batch: batchInEpoch, step: steps, optimizer: optimizer.stateDict(),
                   scheduler: scheduler?.state, rng: TorchGenerator.withDefault { $0 }, config: config, progress: progress,
                   history: runHistory, worldSize: worldSize)
    }

    /// Writes the checkpoint now (atomically), if the trainer has a checkpoint path.
    public func saveCheckpoint() throws { try saveCheckpoint(nil) }

    private func saveCheckpoint(_ reporter: (any TrainingReporter)?) throws {
        guard let checkpointPath else { return }
        // A finite loss can still leave infinite weights after the step; never save those over a good file.
        for (name, p) in model.namedParameters() where !p.value.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            throw TrainingError.nonFiniteWeights(key: name, epochsCompleted: epochsCompleted, batch: batchInEpoch,
                                                 lastCheckpoint: FileManager.default.fileExists(atPath: checkpointPath) ? checkpointPath : nil)
        }
        try TrainingCheckpoint.save(model: model, spec: spec, state: trainState, to: checkpointPath)
        lastCheckpoint = checkpointPath
        reporter?.report(.checkpointSaved(path: checkpointPath, epochsCompleted: epochsCompleted, batch: batchInEpoch))
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// "key: old -> new" for every setting that differs.
    static func differences(_ old: TrainingConfig, _ new: TrainingConfig) -> [String] {
        guard old != new else { return [] }
        func dict(_ c: TrainingConfig) -> [String: String] {
            guard let data = try? JSONEncoder().encode(c),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        let a = dict(old), b = dict(new)
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            a[key] == b[key] ? nil : "\(key): \(a[key] ?? "default") -> \(b[key] ?? "default")"
        }
    }
}

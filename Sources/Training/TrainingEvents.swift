// What the trainer tells the outside world while it runs: a stream of `TrainingEvent`s delivered to
// a `TrainingReporter` (the CLI's progress bar, a log, a test). Epoch numbers in events and
// metrics are 1-based, as people count them ("epoch 1/10"); `TrainState.epoch` counts completed
// epochs, so after epoch 1 both read 1.

/// What a run is about to do.
public struct TrainingPlan: Sendable {
    /// Total epochs of the run.
    public var epochs: Int
    /// Batches and samples in one training epoch.
    public var batchesPerEpoch: Int
    public var samplesPerEpoch: Int
    /// Where the run starts: the first epoch (1-based) and the batches of it already done.
    public var startEpoch: Int
    public var startBatch: Int
    /// Whether each epoch ends with a validation pass.
    public var validates: Bool
    /// Architecture name and trainable parameter count.
    public var architecture: String
    public var parameterCount: Int

    public init(epochs: Int, batchesPerEpoch: Int, samplesPerEpoch: Int, startEpoch: Int, startBatch: Int, validates: Bool,
                architecture: String, parameterCount: Int) {
        self.epochs = epochs; self.batchesPerEpoch = batchesPerEpoch; self.samplesPerEpoch = samplesPerEpoch
        self.startEpoch = startEpoch; self.startBatch = startBatch; self.validates = validates
        self.architecture = architecture; self.parameterCount = parameterCount
    }
}

/// Progress after one training step.
public struct StepProgress: Sendable {
    /// Epoch (1-based) and total epochs.
    public var epoch: Int
    public var epochs: Int
    /// Batches of this epoch done (1-based: 1 after the first step) and per epoch.
    public var batch: Int
    public var batchesPerEpoch: Int
    /// Optimizer steps in the whole run.
    public var step: Int
    /// This batch's loss.
    public var loss: Float
    /// Mean loss and top-1 accuracy (in [0, 1]) of this epoch so far.
    public var meanLoss: Double
    public var accuracy: Double
    /// Learning rate used by this step.
    public var lr: Double
    /// Training throughput of this epoch so far.
    public var imagesPerSecond: Double
    /// Seconds spent in this epoch's steps so far, and the estimated seconds until the run ends
    /// (remaining steps at this epoch's pace; validation not included).
    public var elapsed: Double
    public var eta: Double

    public init(epoch: Int, epochs: Int, batch: Int, batchesPerEpoch: Int, step: Int, loss: Float, meanLoss: Double,
                accuracy: Double, lr: Double, imagesPerSecond: Double, elapsed: Double, eta: Double) {
        self.epoch = epoch; self.epochs = epochs; self.batch = batch; self.batchesPerEpoch = batchesPerEpoch; self.step = step
        self.loss = loss; self.meanLoss = meanLoss; self.accuracy = accuracy; self.lr = lr
        self.imagesPerSecond = imagesPerSecond; self.elapsed = elapsed; self.eta = eta
    }
}

/// The metrics of one epoch: one line of the metrics JSONL file.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// Epoch number, 1-based.
    public var epoch: Int
    /// Mean training loss per sample and top-1 training accuracy in [0, 1] (train mode, as the
    /// batches were trained).
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// Validation loss and top-1/top-5 accuracy in [0, 1]; nil without validation data.
    public var valLoss: Double?
    public var valAccuracy1: Double?
    public var valAccuracy5: Double?
    /// Learning rate used by the epoch's last step.
    public var lr: Double
    /// Wall time of the epoch (training and validation), seconds.
    public var seconds: Double
    /// Wall time of the epoch's training loop (steps and waiting for data; no validation), seconds.
    /// Nil in lines written before this field existed.
    public var trainSeconds: Double?
    /// Training images per second (step time only).
    public var imagesPerSecond: Double
    /// Samples the data source skipped because they could not be read (training + validation).
    public var skippedSamples: Int

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double? = nil, valAccuracy1: Double? = nil,
                valAccuracy5: Double? = nil, lr: Double, seconds: Double, trainSeconds: Double? = nil, imagesPerSecond: Double,
                skippedSamples: Int = 0) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy; self.valLoss = valLoss
        self.valAccuracy1 = valAccuracy1; self.valAccuracy5 = valAccuracy5; self.lr = lr; self.seconds = seconds; self.trainSeconds = trainSeconds
        self.imagesPerSecond = imagesPerSecond; self.skippedSamples = skippedSamples
    }

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", trainAccuracy = "train_acc", valLoss = "val_loss"
        case valAccuracy1 = "val_acc1", valAccuracy5 = "val_acc5", lr, seconds, trainSeconds = "train_seconds"
        case imagesPerSecond = "images_per_s"
        case skippedSamples = "skipped_samples"
    }
}

/// How a call to `Trainer.fit` ended.
public struct TrainingResult: Sendable {
    public enum Status: String, Sendable {
        /// Every epoch of the configuration is done.
        case completed
        /// Stopped by the `InterruptFlag`; a checkpoint was written at the batch boundary.
        case interrupted
    }

    public var status: Status
    /// Epochs completed in the whole run, and batches of the next epoch done (0 unless interrupted mid-epoch).
    public var epochsCompleted: Int
    public var batch: Int
    /// Optimizer steps in the whole run.
    public var steps: Int
    /// Metrics of the epochs finished by this call.
    public var history: [EpochMetrics]
    /// The checkpoint written last, if any.
    public var checkpointPath: String?

    public init(status: Status, epochsCompleted: Int, batch: Int, steps: Int, history: [EpochMetrics], checkpointPath: String?) {
        self.status = status; self.epochsCompleted = epochsCompleted; self.batch = batch; self.steps = steps
        self.history = history; self.checkpointPath = checkpointPath
    }

    /// The process exit status a CLI should use: 0, or 130 (128 + SIGINT) when interrupted.
    public var exitCode: Int32 { status == .interrupted ? 130 : 0 }
}

/// One thing that happened during training.
public enum TrainingEvent: Sendable {
    /// Training is about to start (or resume).
    case started(TrainingPlan)
    /// A training step finished.
    case step(StepProgress)
    /// The validation pass of `epoch` (1-based) starts.
    case validating(epoch: Int, batches: Int)
    /// An epoch finished (after validation).
    case epochFinished(EpochMetrics)
    /// A checkpoint was written, at `epochsCompleted` epochs plus `batch` batches.
    case checkpointSaved(path: String, epochsCompleted: Int, batch: Int)
    /// `fit` is returning.
    case finished(TrainingResult)
}

/// Receives the trainer's events (called on the training thread, between steps).
public protocol TrainingReporter: AnyObject {
    func report(_ event: TrainingEvent)
}

/// A reporter that calls a closure for every event (for tests and quick scripts).
public final class CallbackReporter: TrainingReporter {
    private let body: (TrainingEvent) -> Void
    public init(_ body: @escaping (TrainingEvent) -> Void) { self.body = body }
    public func report(_ event: TrainingEvent) { body(event) }
}

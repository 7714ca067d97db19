// Errors of training, checkpointing and evaluation. Each names the file, key, epoch or batch
// involved, so the CLI can print `description` as it is.

/// A training run, checkpoint or evaluation could not go on.
public enum TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A `TrainingConfig` value is out of range.
    case invalidConfig(String)
    /// The checkpoint or metrics file cannot be written (found before training starts).
    case outputNotWritable(path: String, reason: String)
    /// The loss became NaN or infinite; `lastCheckpoint` (if any) was left as it was.
    case nonFiniteLoss(epoch: Int, batch: Int, step: Int, value: Float, lastCheckpoint: String?)
    /// A parameter became NaN or infinite (found before a checkpoint write, which was skipped).
    case nonFiniteWeights(key: String, epochsCompleted: Int, batch: Int, lastCheckpoint: String?)
    /// A checkpoint's tensors do not fit the model (`key` is the first mismatch).
    case checkpointMismatch(path: String, model: String, key: String, detail: String)
    /// A checkpoint file is not a usable training checkpoint.
    case invalidCheckpoint(path: String, reason: String)
    /// The data does not fit the model (classes, image shape or a label out of range).
    case dataMismatch(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message):
            return "invalid training configuration: \(message)"
        case .outputNotWritable(let path, let reason):
            return "\(path): cannot write the output here: \(reason)"
        case .nonFiniteLoss(let epoch, let batch, let step, let value, let checkpoint):
            let kept = checkpoint.map { "; the last good checkpoint \($0) was left unchanged" } ?? ""
            return "training diverged: the loss is \(value) at epoch \(epoch), batch \(batch) (step \(step)); "
                + "stopped (try a lower learning rate)\(kept)"
        case .nonFiniteWeights(let key, let epochs, let batch, let checkpoint):
            let kept = checkpoint.map { "; the last good checkpoint \($0) was left unchanged" } ?? "; no checkpoint was written"
            return "training diverged: parameter \(key) holds NaN or infinite values after \(epochs) epochs"
                + (batch > 0 ? " and \(batch) batches" : "") + " (try a lower learning rate)\(kept)"
        case .checkpointMismatch(let path, let model, let key, let detail):
            return "\(path): the checkpoint does not match \(model): \(key) \(detail)"
        case .invalidCheckpoint(let path, let reason):
            return "\(path): \(reason)"
        case .dataMismatch(let message):
            return "the data does not fit the model: \(message)"
        }
    }
}

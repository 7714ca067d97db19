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
    /// More than `maxFraction` of an epoch's `samples` (training or validation: `split`) could not
    /// be read; stopped before the epoch's checkpoint, so an existing one is left as it was.
    case tooManySkipped(split: String, epoch: Int, skipped: Int, samples: Int, maxFraction: Double)
    /// An epoch ended without one sample trained on; nothing was saved.
    case noTrainingSteps(epoch: Int)

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
        case .tooManySkipped(let split, let epoch, let skipped, let samples, let fraction):
            return "\(skipped) of the \(samples) \(split) samples of epoch \(epoch) could not be read, more than the allowed "
                + "\(percent(fraction)) (max skipped fraction, `vision train --max-skipped`); stopped before saving, so an "
                + "existing checkpoint was left as it was (the warnings above name the files)"
        case .noTrainingSteps(let epoch):
            return "epoch \(epoch) trained on no sample (every batch was empty or unreadable); stopped without saving"
        }
    }
}

/// "10%", "2.5%".
private func percent(_ fraction: Double) -> String {
    let p = fraction * 100
    return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
}

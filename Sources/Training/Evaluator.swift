// Evaluation of a classifier over a BatchSource: eval mode, no autograd graph, one pass; the
// model's previous mode is restored afterwards so the trainer can call it between epochs.

import Datasets
import NN
import Tensors

/// Runs a model over a data source and measures loss, top-1/top-5, per-class accuracy and the
/// confusion matrix.
public struct Evaluator {
    /// The model (switched to eval mode during `evaluate`, then back).
    public let model: Module
    /// Label smoothing of the reported loss (the trainer passes its own, as torchvision's reference does).
    public var labelSmoothing: Double
    /// The k of top-k accuracy (clamped to the class count).
    public var topK: Int
    /// The (C, H, W) every image must have, checked before the forward pass so that a wrong
    /// preprocessing is an error naming both shapes rather than a trap inside the model.
    public var imageShape: [Int]?

    public init(model: Module, labelSmoothing: Double = 0, topK: Int = 5, imageShape: [Int]? = nil) {
        self.model = model
        self.labelSmoothing = labelSmoothing
        self.topK = topK
        self.imageShape = imageShape
    }

    /// An evaluator for a model described by `spec`: images must be (inputChannels, crop, crop).
    public init(model: Module, spec: ModelSpec, labelSmoothing: Double = 0, topK: Int = 5) {
        self.init(model: model, labelSmoothing: labelSmoothing, topK: topK, imageShape: spec.imageShape)
    }

    /// Evaluates the batches of `source` for `epoch` (0 for a fixed validation set).
    /// - Parameters:
    ///   - numClasses: the model's output count; nil reads it from the first batch's logits.
    ///   - progress: called after each batch with (batches done, batches in the pass).
    /// - Throws: errors of the source, or `TrainingError.dataMismatch` when the source's classes,
    ///   the logits and the labels disagree.
    public func evaluate(_ source: any BatchSource, epoch: Int = 0, numClasses: Int? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationResult {
        try accumulate(source, epoch: epoch, numClasses: numClasses, progress: progress).result(classNames: source.classes)
    }

    /// The counts `evaluate` turns into its result (a data-parallel run sums them over the ranks'
    /// shards first).
    public func accumulate(_ source: any BatchSource, epoch: Int = 0, numClasses: Int? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationAccumulator {
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        let classes = source.classes
        var accumulator: EvaluationAccumulator?
        if let n = numClasses { accumulator = try makeAccumulator(n, classes) }
        let stream = source.batches(epoch: epoch, from: 0)
        let plans = InferencePlans(model)  // one per batch shape: activations allocated once
        var done = 0
        while let batch = try stream.next() {
            guard batch.count > 0 else { continue }
            try checkImages(batch, shape: imageShape)
            let logits = plans.run(batch.images)
            guard logits.rank == 2, logits.shape[0] == batch.count else {
                throw TrainingError.dataMismatch("the model's output has shape \(describe(logits.shape)) for a batch of \(batch.count), expected [\(batch.count), classes]")
            }
            if accumulator == nil { accumulator = try makeAccumulator(logits.shape[1], classes) }
            try checkLabels(batch, classes: logits.shape[1])
            let loss = withNoGrad { crossEntropy(logits, batch.labels, labelSmoothing: Float(labelSmoothing)).item() }
            try accumulator!.add(logits: logits, labels: batch.labels, meanLoss: Double(loss))
            done += 1
            progress?(done, source.batchesPerEpoch)
        }
        var acc = try accumulator ?? makeAccumulator(max(classes.count, 1), classes)
        acc.skippedSamples = stream.skippedSamples
        return acc
    }

    private func makeAccumulator(_ n: Int, _ classes: [String]) throws -> EvaluationAccumulator {
        guard classes.isEmpty || classes.count == n else {
            throw TrainingError.dataMismatch("the data has \(classes.count) classes, the model \(n) outputs")
        }
        return EvaluationAccumulator(numClasses: n, topK: topK)
    }
}

/// Throws `TrainingError.dataMismatch` naming the dataset index of the first label outside 0..<classes.
func checkLabels(_ batch: Batch, classes: Int) throws {
    guard let bad = batch.labels.firstIndex(where: { $0 < 0 || $0 >= classes }) else { return }
    let index = bad < batch.indices.count ? " (dataset index \(batch.indices[bad]))" : ""
    throw TrainingError.dataMismatch("label \(batch.labels[bad]) of a sample\(index) is outside 0..<\(classes)")
}

/// Throws `TrainingError.dataMismatch` unless the batch's images are (N, shape...) with N labels.
func checkImages(_ batch: Batch, shape: [Int]?) throws {
    let images = batch.images.shape
    guard images.count == 4, images[0] == batch.count else {
        throw TrainingError.dataMismatch("a batch of \(batch.count) labels has images of shape \(describe(images)), expected [\(batch.count), C, H, W]")
    }
    if let shape, Array(images.dropFirst()) != shape {
        throw TrainingError.dataMismatch("images have shape \(describe(Array(images.dropFirst()))) (C, H, W), the model takes \(describe(shape))")
    }
}

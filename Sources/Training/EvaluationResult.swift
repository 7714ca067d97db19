// Classification metrics over a data set, accumulated batch by batch from logits.
//
// Conventions: the top-1 prediction is the first index of the largest logit (PyTorch's argmax);
// a sample counts for top-k when fewer than k classes rank before its true class, ranking by
// logit (larger first) and then by index (smaller first), so top-1 and the confusion matrix agree
// on ties. k is clamped to the number of classes. A NaN logit for the true class counts as wrong.
// Confusion matrix rows are true classes, columns predicted classes.

import Tensors
import Traps

/// Accuracy, loss and confusion matrix of a classifier on a data set (JSON keys snake_case).
public struct EvaluationResult: Codable, Sendable, Equatable {
    /// Class names in index order ("class N" where unknown).
    public var classNames: [String]
    /// Samples evaluated.
    public var samples: Int
    /// Mean cross-entropy per sample (nil when not computed).
    public var loss: Double?
    /// Top-1 accuracy in [0, 1].
    public var top1: Double
    /// Top-k accuracy in [0, 1] for k = `topK` (5, clamped to the class count).
    public var top5: Double
    /// The k of `top5`.
    public var topK: Int
    /// Samples per true class.
    public var perClassSamples: [Int]
    /// Top-1 accuracy per true class (nil for classes without samples).
    public var perClassAccuracy: [Double?]
    /// counts[true][predicted].
    public var confusionMatrix: [[Int]]
    /// Samples the source skipped because they could not be read.
    public var skippedSamples: Int

    enum CodingKeys: String, CodingKey {
        case classNames = "class_names", samples, loss, top1, top5, topK = "top_k"
        case perClassSamples = "per_class_samples", perClassAccuracy = "per_class_accuracy"
        case confusionMatrix = "confusion_matrix", skippedSamples = "skipped_samples"
    }
}

/// Builds an `EvaluationResult` from batches of logits and labels.
public struct EvaluationAccumulator: Sendable {
    /// Number of classes (columns of the logits).
    public let numClasses: Int
    /// The k of top-k, clamped to `numClasses`.
    public let topK: Int
    private var confusion: [Int]
    private var topKCorrect = 0
    private var lossSum = 0.0
    private var lossSamples = 0
    /// Samples added so far.
    public private(set) var samples = 0
    /// Skipped samples reported by the source.
    public var skippedSamples = 0

    public init(numClasses: Int, topK: Int = 5) {
        trapUnless(numClasses > 0, "EvaluationAccumulator: numClasses must be positive, got \(numClasses)")
        self.numClasses = numClasses
        self.topK = max(1, min(topK, numClasses))
        confusion = [Int](repeating: 0, count: numClasses * numClasses)
    }

    /// Adds a batch: `logits` [N, numClasses], one label per row, and optionally the batch's mean loss.
    /// - Throws: `TrainingError.dataMismatch` for a wrong logits shape or a label out of range.
    public mutating func add(logits: Tensor, labels: [Int], meanLoss: Double? = nil) throws {
        let c = numClasses
        guard logits.rank == 2, logits.shape[1] == c, logits.shape[0] == labels.count else {
            throw TrainingError.dataMismatch("logits \(describe(logits.shape)) for \(labels.count) labels and \(c) classes")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= c }) {
            throw TrainingError.dataMismatch("label \(labels[bad]) of sample \(bad) in the batch is outside 0..<\(c)")
        }
        logits.withUnsafeBufferPointer { values in
            for (i, y) in labels.enumerated() {
                let row = values.baseAddress! + i * c
                var best = 0
                for j in 1..<max(c, 1) where row[j] > row[best] || (row[best].isNaN && !row[j].isNaN) { best = j }
                confusion[y * c + best] += 1
                let v = row[y]
                guard !v.isNaN else { continue }
                var rank = 0
                for j in 0..<c where row[j] > v || (row[j] == v && j < y) { rank += 1 }
                if rank < topK { topKCorrect += 1 }
            }
        }
        samples += labels.count
        if let meanLoss {
            lossSum += meanLoss * Double(labels.count)
            lossSamples += labels.count
        }
    }

    /// Replaces the counts by their sums over the processes of a data-parallel run: `sum` sums an
    /// array of values element-wise across processes (every process calls this with the same class count).
    public mutating func sumAcrossProcesses(_ sum: (inout [Double]) throws -> Void) rethrows {
        var values = confusion.map(Double.init) + [Double(topKCorrect), lossSum, Double(lossSamples), Double(samples),
                                                   Double(skippedSamples)]
        try sum(&values)
        let c = confusion.count
        confusion = values[0..<c].map { Int($0) }
        topKCorrect = Int(values[c])
        lossSum = values[c + 1]
        lossSamples = Int(values[c + 2])
        samples = Int(values[c + 3])
        skippedSamples = Int(values[c + 4])
    }

    /// The metrics so far; `classNames` label the classes (missing names become "class N").
    public func result(classNames: [String] = []) -> EvaluationResult {
        let c = numClasses
        let matrix = (0..<c).map { Array(confusion[($0 * c)..<(($0 + 1) * c)]) }
        let perClass = matrix.map { $0.reduce(0, +) }
        let correct = (0..<c).reduce(0) { $0 + matrix[$1][$1] }
        let n = Double(max(samples, 1))
        return EvaluationResult(
            classNames: (0..<c).map { $0 < classNames.count ? classNames[$0] : "class \($0)" },
            samples: samples, loss: lossSamples > 0 ? lossSum / Double(lossSamples) : nil,
            top1: samples > 0 ? Double(correct) / n : 0, top5: samples > 0 ? Double(topKCorrect) / n : 0, topK: topK,
            perClassSamples: perClass,
            perClassAccuracy: (0..<c).map { perClass[$0] > 0 ? Double(matrix[$0][$0]) / Double(perClass[$0]) : nil },
            confusionMatrix: matrix, skippedSamples: skippedSamples)
    }
}

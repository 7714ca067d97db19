// Plain-text rendering of evaluation results: a summary, a per-class table and the confusion
// matrix with class indices as headers (names are in the per-class table).

import Foundation

extension EvaluationResult {
    /// A human-readable report. The confusion matrix is printed only up to `maxMatrixClasses`
    /// classes (wider ones do not fit a terminal; use the JSON or PNG renderer).
    public func textReport(maxMatrixClasses: Int = 20) -> String {
        var lines: [String] = []
        lines.append("samples: \(samples)" + (skippedSamples > 0 ? " (\(skippedSamples) skipped: unreadable)" : ""))
        if let loss { lines.append(String(format: "loss:    %.4f", loss)) }
        lines.append(String(format: "top-1:   %.2f%%", top1 * 100))
        lines.append(String(format: "top-%d:   %.2f%%", topK, top5 * 100))
        lines.append("")
        let nameWidth = max(5, classNames.map(\.count).max() ?? 0)
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + fill : fill + s
        }
        lines.append(pad("index", 5) + "  " + pad("class", nameWidth, left: true) + "  " + pad("samples", 8) + "  " + pad("accuracy", 9))
        for (i, name) in classNames.enumerated() {
            let acc = perClassAccuracy[i].map { String(format: "%.2f%%", $0 * 100) } ?? "-"
            lines.append(pad(String(i), 5) + "  " + pad(name, nameWidth, left: true) + "  "
                         + pad(String(perClassSamples[i]), 8) + "  " + pad(acc, 9))
        }
        let n = classNames.count
        guard n <= maxMatrixClasses else {
            lines.append("")
            lines.append("confusion matrix: \(n) classes, too wide to print (see the JSON or PNG output)")
            return lines.joined(separator: "\n")
        }
        lines.append("")
        lines.append("confusion matrix (rows: true class, columns: predicted class)")
        let width = max(String(confusionMatrix.flatMap { $0 }.max() ?? 0).count, String(max(n - 1, 0)).count, 1) + 1
        lines.append(pad("", 5) + confusionMatrix.indices.map { pad(String($0), width) }.joined())
        for (i, row) in confusionMatrix.enumerated() {
            lines.append(pad(String(i), 5) + row.map { pad(String($0), width) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

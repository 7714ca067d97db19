// JSON rendering of evaluation results (snake_case keys, sorted; see `EvaluationResult.CodingKeys`).

import Foundation

extension EvaluationResult {
    /// The result as one JSON object with sorted keys (per-class accuracy is null for classes
    /// without samples).
    public func jsonString(pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

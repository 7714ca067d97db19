// Evaluation metrics on a hand-checkable case, the evaluator end to end (a model that returns its
// input as logits), and the text, JSON and PNG renderers.

import Foundation
import Testing
import SwiftVision

/// Five samples, three classes (worked out by hand):
///   logits       label  top-1  rank of label
///   [2, 1, 0]    0      0      0
///   [0, 3, 1]    2      1      1
///   [1, 1, 0]    1      0      1   (tie: the first index wins)
///   [0, 0, 5]    2      2      0
///   [5, 4, 3]    2      0      2
let handLogits: [Float] = [2, 1, 0, 0, 3, 1, 1, 1, 0, 0, 0, 5, 5, 4, 3]
let handLabels = [0, 2, 1, 2, 2]
let handConfusion = [[1, 0, 0], [1, 0, 0], [1, 1, 1]]

extension TrainingTests {
    @Suite struct Evaluation {
        @Test func handCheckedMetrics() throws {
            var top2 = EvaluationAccumulator(numClasses: 3, topK: 2)
            try top2.add(logits: Tensor(shape: [5, 3], data: handLogits), labels: handLabels)
            let r2 = top2.result(classNames: ["a", "b", "c"])
            #expect(r2.confusionMatrix == handConfusion)
            #expect(r2.top1 == 0.4 && r2.top5 == 0.8 && r2.topK == 2)
            #expect(r2.perClassSamples == [1, 1, 3])
            #expect(r2.perClassAccuracy == [1, 0, 1.0 / 3])
            #expect(r2.loss == nil && r2.samples == 5)

            var top5 = EvaluationAccumulator(numClasses: 3)
            try top5.add(logits: Tensor(shape: [2, 3], data: Array(handLogits[0..<6])), labels: Array(handLabels[0..<2]))
            try top5.add(logits: Tensor(shape: [3, 3], data: Array(handLogits[6...])), labels: Array(handLabels[2...]))
            let r5 = top5.result()
            #expect(r5.topK == 3 && r5.top5 == 1, "top-5 of 3 classes is clamped to top-3")
            #expect(r5.confusionMatrix == handConfusion && r5.classNames == ["class 0", "class 1", "class 2"])

            var empty = EvaluationAccumulator(numClasses: 2)
            #expect(throws: TrainingError.self) { try empty.add(logits: Tensor.zeros([1, 2]), labels: [2]) }
            #expect(empty.result().perClassAccuracy == [nil, nil])
        }

        @Test func evaluatorRunsTheModelInEvalModeWithoutGrad() throws {
            // Images [N, 3, 1, 1] flattened are the logits.
            let source = ToyBatchSource(images: handLogits, labels: handLabels, sampleShape: [3, 1, 1], classes: ["a", "b", "c"],
                                        batchSize: 2, shuffle: false)
            let model = Flatten()
            model.train()
            var calls: [Int] = []
            let result = try Evaluator(model: model).evaluate(source, progress: { done, total in calls.append(done); #expect(total == 3) })
            #expect(model.isTraining, "the previous mode is restored")
            #expect(calls == [1, 2, 3])
            #expect(result.confusionMatrix == handConfusion && result.top1 == 0.4 && result.top5 == 1)
            // Mean cross-entropy, by hand: −log softmax(logits)[label].
            var expected = 0.0
            for i in 0..<5 {
                let row = handLogits[(3 * i)..<(3 * i + 3)].map(Double.init)
                expected += log(row.map { exp($0) }.reduce(0, +)) - row[handLabels[i]]
            }
            let loss = try #require(result.loss)
            #expect(abs(loss - expected / 5) < 1e-6, "\(loss) vs \(expected / 5)")

            let wrongShape = #expect(throws: TrainingError.self) { try Evaluator(model: model, imageShape: [1, 28, 28]).evaluate(source) }
            #expect("\(message(wrongShape))".contains("[3, 1, 1]"))
            let fewerClasses = ToyBatchSource(images: handLogits, labels: handLabels, sampleShape: [3, 1, 1], classes: ["a", "b"], batchSize: 5)
            #expect(throws: TrainingError.self) { try Evaluator(model: model).evaluate(fewerClasses) }
        }

        @Test func textReport() throws {
            var acc = EvaluationAccumulator(numClasses: 3, topK: 2)
            try acc.add(logits: Tensor(shape: [5, 3], data: handLogits), labels: handLabels, meanLoss: 1.25)
            let text = acc.result(classNames: ["cat", "dog", "bird"]).textReport()
            let expected = """
                samples: 5
                loss:    1.2500
                top-1:   40.00%
                top-2:   80.00%

                index  class   samples   accuracy
                    0  cat           1    100.00%
                    1  dog           1      0.00%
                    2  bird          3     33.33%

                confusion matrix (rows: true class, columns: predicted class)
                      0 1 2
                    0 1 0 0
                    1 1 0 0
                    2 1 1 1
                """
            #expect(text == expected, "\n\(text)")
            #expect(acc.result().textReport(maxMatrixClasses: 2).hasSuffix("too wide to print (see the JSON or PNG output)"))
        }

        @Test func jsonRoundTripsWithSnakeCaseKeys() throws {
            var acc = EvaluationAccumulator(numClasses: 3, topK: 2)
            try acc.add(logits: Tensor(shape: [5, 3], data: handLogits), labels: handLabels, meanLoss: 0.5)
            let result = acc.result(classNames: ["a", "b/c", "é"])
            let json = try result.jsonString()
            #expect(json.hasPrefix(#"{"class_names":["a","b/c","é"],"confusion_matrix":[[1,0,0],[1,0,0],[1,1,1]],"loss":0.5,"#), "\(json)")
            #expect(json.contains(#""per_class_accuracy":[1,0,0.3333333333333333]"#), "\(json)")
            #expect(json.contains(#""top1":0.4,"top5":0.8,"top_k":2"#), "\(json)")
            #expect(try JSONDecoder().decode(EvaluationResult.self, from: Data(json.utf8)) == result)
        }

        @Test func confusionMatrixHeatMap() throws {
            var acc = EvaluationAccumulator(numClasses: 4)
            try acc.add(logits: Tensor(shape: [5, 4], data: handLogits.enumerated().flatMap { $0.offset % 3 == 2 ? [$0.element, -9] : [$0.element] }),
                        labels: handLabels)
            let result = acc.result()
            #expect(result.confusionMatrix == [[1, 0, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
            let image = result.confusionMatrixImage(cellSize: 3)
            #expect(image.width == 12 && image.height == 12 && image.channels == 3)
            func pixel(_ row: Int, _ col: Int) -> [UInt8] { (0..<3).map { image[row * 3 + 1, col * 3 + 2, $0] } }
            #expect(pixel(0, 0) == [8, 48, 107], "v = 1: dark blue")
            #expect(pixel(0, 1) == [255, 255, 255], "v = 0: white")
            let third = EvaluationResult.heatColor(1.0 / 3)
            #expect(pixel(2, 2) == [third.0, third.1, third.2] && third == (173, 186, 206))
            #expect(pixel(3, 3) == [160, 160, 160], "a class without samples is grey")

            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            try result.writeConfusionMatrixPNG(to: dir.file("cm.png"), cellSize: 3)
            let decoded = try Image(contentsOf: dir.file("cm.png"))
            #expect(decoded.width == 12 && decoded.pixels == image.pixels)
        }
    }
}

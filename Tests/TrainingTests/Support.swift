// Shared helpers: small in-memory batch sources, the toy data set, temporary directories and the
// PyTorch fixture. Every suite is nested in `TrainingTests`, which runs serially: trainers seed
// and read the process-wide random generator.

import Foundation
import Testing
import SwiftVision

@Suite(.serialized) struct TrainingTests {}

/// An in-memory data set served in batches, reshuffled every epoch from (seed, epoch) like the
/// DataLoader. `dropLast` is false: the last batch may be smaller.
final class ToyBatchSource: BatchSource {
    let images: [Float]
    let labels: [Int]
    let sampleShape: [Int]
    let batchSize: Int
    let shuffle: Bool
    let seed: UInt64
    let classes: [String]

    init(images: [Float], labels: [Int], sampleShape: [Int], classes: [String], batchSize: Int, shuffle: Bool = true, seed: UInt64 = 1) {
        self.images = images; self.labels = labels; self.sampleShape = sampleShape; self.classes = classes
        self.batchSize = batchSize; self.shuffle = shuffle; self.seed = seed
    }

    var samplesPerEpoch: Int { labels.count }
    var batchesPerEpoch: Int { (labels.count + batchSize - 1) / batchSize }

    func order(epoch: Int) -> [Int] {
        var order = Array(0..<labels.count)
        guard shuffle else { return order }
        var rng = RandomGenerator(seed: seed &+ UInt64(epoch) &* 1_000_003)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return order
    }

    func batches(epoch: Int, from firstBatch: Int) -> any BatchStream {
        Stream(source: self, order: order(epoch: epoch), position: firstBatch)
    }

    final class Stream: BatchStream {
        let source: ToyBatchSource
        let order: [Int]
        var position: Int
        init(source: ToyBatchSource, order: [Int], position: Int) { self.source = source; self.order = order; self.position = position }
        var skippedSamples: Int { 0 }
        func next() throws -> Batch? {
            let s = source, start = position * s.batchSize
            guard start < order.count else { return nil }
            position += 1
            let indices = Array(order[start..<min(start + s.batchSize, order.count)])
            let n = s.sampleShape.reduce(1, *)
            var data: [Float] = []
            data.reserveCapacity(indices.count * n)
            for i in indices { data += s.images[(i * n)..<((i + 1) * n)] }
            return Batch(images: Tensor(shape: [indices.count] + s.sampleShape, data: data),
                         labels: indices.map { s.labels[$0] }, indices: indices)
        }
    }
}

/// Four classes of noisy 28×28 gray images; class k has its k-th quadrant bright.
func quadrantSource(count: Int, seed: UInt64, batchSize: Int, shuffle: Bool = true) -> ToyBatchSource {
    var rng = RandomGenerator(seed: seed)
    var pixels: [Float] = []
    var labels: [Int] = []
    for i in 0..<count {
        let k = i % 4
        for y in 0..<28 {
            for x in 0..<28 {
                let quadrant = (y / 14) * 2 + x / 14
                pixels.append((quadrant == k ? 1 : 0) + 0.5 * rng.nextNormal())
            }
        }
        labels.append(k)
    }
    return ToyBatchSource(images: pixels, labels: labels, sampleShape: [1, 28, 28], classes: ["tl", "tr", "bl", "br"],
                          batchSize: batchSize, shuffle: shuffle, seed: seed)
}

/// small_cnn for 1-channel 28×28 images with `classes` classes.
func smallCNNSpec(classes: Int = 4) -> ModelSpec {
    ModelSpec(architecture: "small_cnn", classNames: classes == 4 ? ["tl", "tr", "bl", "br"] : (0..<classes).map { "c\($0)" },
              inputChannels: 1, preprocessing: ModelSpec.fashionMNISTPreprocessing)
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "training-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The model's parameters and buffers as flat arrays by name.
func weights(_ model: Module) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.scalars) })
}

/// Copies `source`'s weights into `target` (same architecture).
func copyWeights(from source: Module, to target: Module) throws {
    try target.loadStateDict(source.stateDict())
}

/// Sets the interrupt flag once the trainer reaches `step` optimizer steps.
func interrupting(at step: Int, _ flag: InterruptFlag) -> CallbackReporter {
    CallbackReporter { event in
        if case .step(let s) = event, s.step == step { flag.set() }
    }
}

/// Tests/TrainingTests/Fixtures/small_cnn.json, written by Scripts/make_training_fixtures.py.
struct SmallCNNFixture: Decodable {
    struct Logits: Decodable { let channels: Int; let classes: Int; let logits: [Float] }
    struct Run: Decodable, CustomStringConvertible {
        let name: String, optimizer: String, scheduler: String
        let epochs: Int, batches: Int, batchSize: Int, classes: Int
        let labelSmoothing: Double, lr: Double
        let losses: [Float], lrAfterEpoch: [Double], lastWeight: [Float], logits: [Float]
        var description: String { name }
    }
    let keys: [[KeyOrShape]]
    let logits: [Logits]
    let training: [Run]

    enum KeyOrShape: Decodable {
        case key(String), shape([Int])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .key(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    static let shared: SmallCNNFixture = {
        let url = Bundle.module.url(forResource: "small_cnn", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(SmallCNNFixture.self, from: Data(contentsOf: url))
    }()
}

/// The fixture script's weight formula for the k-th state-dict entry.
func formulaTensor(shape: [Int], index k: Int) -> Tensor {
    let n = shape.reduce(1, *)
    let fanIn = shape.count >= 2 ? shape.dropFirst(1).reduce(1, *) : 1
    let values = (0..<n).map { i -> Float in
        let s = sin(0.37 * Double(i) + 1.3 * Double(k))
        return Float(shape.count >= 2 ? s / Double(fanIn).squareRoot() : 0.1 * s)
    }
    return Tensor(shape: shape, data: values)
}

/// Loads the formula weights into `model`.
func fillWithFormula(_ model: Module) throws {
    try model.loadStateDict(model.stateDict().enumerated().map { k, e in (e.name, formulaTensor(shape: e.tensor.shape, index: k)) })
}

/// The fixture script's input: element i of the flattened (n, c, 28, 28) batch is sin(0.1·i + offset).
func formulaInput(_ n: Int, _ c: Int, offset: Double) -> Tensor {
    let count = n * c * 28 * 28
    return Tensor(shape: [n, c, 28, 28], data: (0..<count).map { Float(sin(0.1 * Double($0) + offset)) })
}

/// The fixture runs' batches: batch b of epoch e has offset 0.3·(e·batches + b) + 0.05.
final class FormulaBatchSource: BatchSource {
    let batchesPerEpoch: Int, batchSize: Int, classes: [String]
    init(batches: Int, batchSize: Int, classes: Int) {
        batchesPerEpoch = batches; self.batchSize = batchSize; self.classes = (0..<classes).map { "c\($0)" }
    }
    var samplesPerEpoch: Int { batchesPerEpoch * batchSize }
    func batches(epoch: Int, from firstBatch: Int) -> any BatchStream {
        Stream(source: self, epoch: epoch, position: firstBatch)
    }
    final class Stream: BatchStream {
        let source: FormulaBatchSource, epoch: Int
        var position: Int
        init(source: FormulaBatchSource, epoch: Int, position: Int) { self.source = source; self.epoch = epoch; self.position = position }
        var skippedSamples: Int { 0 }
        func next() throws -> Batch? {
            let s = source
            guard position < s.batchesPerEpoch else { return nil }
            let offset = 0.3 * Double(epoch * s.batchesPerEpoch + position) + 0.05
            position += 1
            let shift = Int((10 * offset).rounded(.toNearestOrEven))
            return Batch(images: formulaInput(s.batchSize, 1, offset: offset),
                         labels: (0..<s.batchSize).map { ($0 + shift) % s.classes.count }, indices: Array(0..<s.batchSize))
        }
    }
}

/// An error's description, or "<no error>" (so a missing error fails an expectation instead of crashing).
func message(_ error: (any Error)?) -> String { error.map { "\($0)" } ?? "<no error>" }

/// max |a − b| / max |b| (infinite when the lengths differ).
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    let scale = max(b.map { abs($0) }.max() ?? 1, 1e-12)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

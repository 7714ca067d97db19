// The data-parallel machinery inside one process, against a group whose "other ranks" mirror this
// one (every sum is N × the local value, broadcast keeps the local value): averaging N identical
// gradients must give back the local gradient, so a trainer in such a group must end bit for bit
// where a trainer alone does — through bucketing, the overlap with backward, the per-step totals
// and the sums of validation counts. The real multi-process runs are CLITests' mpirun tests.
import Foundation
import Testing
import SwiftVision

/// A group of `size` ranks that all hold this process's values; records the collectives it sees.
final class MirrorGroup: ProcessGroup, @unchecked Sendable {
    let rank = 0
    let size: Int
    private(set) var log: [String] = []
    init(size: Int) { self.size = size }

    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        for i in buffer.indices { buffer[i] *= Float(size) }
        log.append("allreduce \(buffer.count)")
    }
    func allReduceSum(_ values: inout [Double]) throws {
        values = values.map { $0 * Double(size) }
        log.append("allreduce-double \(values.count)")
    }
    func beginAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction {
        log.append("start \(buffer.count)")
        return Pending(buffer: buffer, size: size, group: self)
    }
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws { log.append("broadcast \(buffer.count)") }
    func broadcast(_ bytes: inout [UInt8], root: Int) throws { log.append("broadcast-bytes \(bytes.count)") }
    func abort(message: String) -> Never { fatalError("abort: \(message)") }
    func note(_ event: String) { log.append(event) }

    /// Completes on its second poll (or at `wait`), as a reduction that needs progress calls.
    final class Pending: PendingReduction {
        let buffer: UnsafeMutableBufferPointer<Float>, size: Int
        unowned let group: MirrorGroup
        var polls = 0, done = false
        init(buffer: UnsafeMutableBufferPointer<Float>, size: Int, group: MirrorGroup) {
            self.buffer = buffer; self.size = size; self.group = group
        }
        func poll() throws -> Bool {
            polls += 1
            if polls >= 2 { complete() }
            return done
        }
        func wait() throws { complete() }
        private func complete() {
            guard !done else { return }
            for i in buffer.indices { buffer[i] *= Float(size) }
            done = true
            group.note("done \(buffer.count)")
        }
    }
}

extension TrainingTests {
    @Suite struct DataParallelTrainer {
        func train(group: MirrorGroup?, syncBatchNorm: Bool = false, architecture: String = "small_cnn",
                   smallBuckets: Bool = false) throws -> (Trainer, TrainingResult) {
            let rgb = architecture != "small_cnn"
            let spec = rgb ? ModelSpec(architecture: architecture, classNames: ["tl", "tr", "bl", "br"], inputChannels: 3,
                                       preprocessing: ImageClassificationPreset(cropSize: 28, resizeSize: 28, interpolation: .bilinear,
                                                                                mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
                : smallCNNSpec()
            let config = TrainingConfig(epochs: 2, batchSize: 8, lr: 0.02, scheduler: .cosine, seed: 3)
            let trainer = try Trainer(model: try spec.makeModel(seed: 3), spec: spec, config: config, processGroup: group,
                                      syncBatchNorm: syncBatchNorm)
            if smallBuckets { trainer.gradientBucketBytes = (first: 4096, rest: 64 << 10) }
            func source(_ count: Int, seed: UInt64, shuffle: Bool) -> ToyBatchSource {
                let gray = quadrantSource(count: count, seed: seed, batchSize: 8, shuffle: shuffle)
                guard rgb else { return gray }
                let images = (0..<count).flatMap { i in (0..<3).flatMap { _ in gray.images[(i * 784)..<((i + 1) * 784)] } }
                return ToyBatchSource(images: images, labels: gray.labels, sampleShape: [3, 28, 28], classes: gray.classes,
                                      batchSize: 8, shuffle: shuffle, seed: gray.seed)
            }
            let result = try trainer.fit(train: source(40, seed: 1, shuffle: true), validation: source(20, seed: 2, shuffle: false))
            return (trainer, result)
        }

        func parameters(_ trainer: Trainer) -> [[Float]] { trainer.model.parameters().map(\.value.scalars) }

        /// nil when every parameter of `a` is within `rtol` of `b`'s, else the first that is not.
        func difference(_ a: Trainer, _ b: Trainer, rtol: Float = 0) -> String? {
            for ((name, p), q) in zip(a.model.namedParameters(), b.model.parameters()) {
                let (x, y) = (p.value.scalars, q.value.scalars)
                if let i = x.indices.first(where: { !(abs(x[$0] - y[$0]) <= rtol * abs(y[$0]) + (rtol == 0 ? 0 : 1e-7)) }) {
                    return "\(name)[\(i)]: \(x[i]) vs \(y[i])"
                }
            }
            return nil
        }

        @Test func mirroredRanksEndWhereOneProcessDoes() throws {
            let (alone, aloneResult) = try train(group: nil)
            let group = MirrorGroup(size: 2)
            let (parallel, parallelResult) = try train(group: group, smallBuckets: true)
            #expect(difference(parallel, alone) == nil)
            // Per-step totals and validation counts are sums over the (mirrored) ranks: twice the samples.
            let (a, p) = (aloneResult.history, parallelResult.history)
            try #require(a.count == 2 && p.count == 2)
            for (x, y) in zip(a, p) {
                #expect(x.trainLoss == y.trainLoss && x.trainAccuracy == y.trainAccuracy)
                #expect(x.valLoss == y.valLoss && x.valAccuracy1 == y.valAccuracy1)
            }
            #expect(parallel.trainState.worldSize == 2 && alone.trainState.worldSize == 1)

            // small_cnn's gradients, last layer first, in a 4 KB first bucket and 64 KB buckets (a
            // larger tensor alone): [9.bias, 9.weight, 7.bias], [7.weight], [3.bias], [3.weight],
            // [0.bias, 0.weight]; each step starts them in that order, polling those in flight, and
            // the first completes while backward still runs (before the last bucket starts).
            let starts = group.log.filter { $0.hasPrefix("start") }
            #expect(starts.count == 2 * 5 * 5)
            let firstStep = Array(group.log.drop { !$0.hasPrefix("start") }.prefix { !$0.hasPrefix("allreduce-double") })
            #expect(firstStep.filter { $0.hasPrefix("start") } == ["start 644", "start 204800", "start 64", "start 18432", "start 320"])
            let firstDone = try #require(firstStep.firstIndex(of: "done 644"), "\(firstStep)")
            #expect(firstDone < firstStep.firstIndex(of: "start 320")!, "\(firstStep)")
            // Initial weights are broadcast from rank 0 once, all 8 parameter tensors.
            #expect(group.log.prefix(8).allSatisfy { $0.hasPrefix("broadcast") })
        }

        @Test func everyGradientBucketIsAveragedNotSummed() throws {
            let (alone, _) = try train(group: nil)
            // Three mirrored ranks: the sum is 3g, times 1/3 rounds, so equal to rounding; a sum
            // instead of an average would triple every step.
            let (parallel, _) = try train(group: MirrorGroup(size: 3))
            #expect(difference(parallel, alone, rtol: 1e-5) == nil)
        }

        @Test func syncBatchNormInAMirroredGroupKeepsTheLocalStatistics() throws {
            // N identical shards have the local batch's statistics: synchronised BN ends where BN
            // alone does, bit for bit (the sums are exact multiples of the local ones).
            let (alone, _) = try train(group: nil, architecture: "resnet18")
            let group = MirrorGroup(size: 2)
            let (synced, _) = try train(group: group, syncBatchNorm: true, architecture: "resnet18")
            #expect(difference(synced, alone) == nil)
            // Σx with the count for the 64-channel layers, then Σ(x − mean)², then backward's sums.
            #expect(group.log.contains("allreduce-double 65") && group.log.contains("allreduce-double 64")
                && group.log.contains("allreduce-double 128"))
            // The running variance's unbiased factor counts every rank's values: 2n/(2n − 1), not n/(n − 1).
            let bn = { (t: Trainer) in t.model.namedBuffers().first { $0.name.hasSuffix("bn1.running_var") }!.buffer.value.scalars }
            #expect(bn(synced) != bn(alone))
        }
    }
}

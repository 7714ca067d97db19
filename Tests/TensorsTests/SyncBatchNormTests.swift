// Batch norm with statistics across processes (SyncBatchNorm), simulated by two threads that each
// hold half of a batch and sum through a barrier: outputs, running statistics and gradients must be
// the single-process values of the whole batch. The shapes are small enough that every kernel runs
// serially on its calling thread (the two "processes" never share the thread pool).
import Foundation
import Testing
import Tensors
import TestSupport

/// Element-wise sums over `participants` threads that each call `sumAcrossProcesses` in turn.
private final class BarrierSum: CrossProcessSum, @unchecked Sendable {
    let participants: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    private var total: [Double] = []
    private var result: [Double] = []
    private(set) var calls = 0

    init(participants: Int) { self.participants = participants }

    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {
        condition.lock()
        defer { condition.unlock() }
        if arrived == 0 { total = [Double](repeating: 0, count: values.count); calls += 1 }
        for i in values.indices { total[i] += values[i] }
        arrived += 1
        let mine = generation
        if arrived == participants {
            result = total
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
        for i in values.indices { values[i] = result[i] }
    }
}

/// The identity: one process alone.
private final class AloneSum: CrossProcessSum, @unchecked Sendable {
    func sumAcrossProcesses(_ values: UnsafeMutableBufferPointer<Double>) {}
}

@Suite struct SyncBatchNormTests {
    struct Outcome {
        var y: [Float], dx: [Float], dgamma: [Float], dbeta: [Float], runningMean: [Float], runningVar: [Float]
    }

    /// Forward and backward of batch norm over `x` with loss = Σ y·w / batch.
    static func run(_ x: Tensor, _ w: Tensor, sync: (any CrossProcessSum)?) throws -> Outcome {
        let input = x.requiringGrad()
        let gamma = Tensor([1.5, -0.5, 2]).requiringGrad(), beta = Tensor([0.1, 0.2, -0.3]).requiringGrad()
        var rm: Tensor? = Tensor([0.5, 0, -1]), rv: Tensor? = Tensor([1, 2, 0.5])
        let y = Tensor.batchNorm(input, runningMean: &rm, runningVar: &rv, weight: gamma, bias: beta, training: true,
                                 momentum: 0.1, sync: sync)
        try ((y * w).sum() / Float(x.shape[0])).backward()
        return Outcome(y: y.scalars, dx: input.grad!.scalars, dgamma: gamma.grad!.scalars, dbeta: beta.grad!.scalars,
                       runningMean: rm!.scalars, runningVar: rv!.scalars)
    }

    static func data(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
        var g = TorchGenerator(seed: seed)
        let x = Tensor(shape: [n, 3, 2, 3], data: (0..<(n * 18)).map { _ in g.nextUniform() * 4 - 1 })
        let w = Tensor(shape: [n, 3, 2, 3], data: (0..<(n * 18)).map { _ in g.nextUniform() - 0.5 })
        return (x, w)
    }

    @Test func oneProcessAloneMatchesThePlainKernelExactly() throws {
        let (x, w) = Self.data(4, seed: 3)
        let plain = try Self.run(x, w, sync: nil), synced = try Self.run(x, w, sync: AloneSum())
        #expect(plain.y == synced.y && plain.dx == synced.dx && plain.dgamma == synced.dgamma && plain.dbeta == synced.dbeta)
        #expect(plain.runningMean == synced.runningMean && plain.runningVar == synced.runningVar)
    }

    @Test func twoHalvesOfABatchGetTheWholeBatchStatisticsAndGradients() throws {
        let (x, w) = Self.data(6, seed: 11)
        let whole = try Self.run(x, w, sync: nil)
        let sum = BarrierSum(participants: 2)
        // One result box per thread (two threads writing one array would race on its buffer).
        final class Box: @unchecked Sendable { var outcome: Result<Outcome, any Error>? }
        let boxes = [Box(), Box()]
        let group = DispatchGroup()
        for r in 0..<2 {
            let xr = x[(3 * r)..<(3 * r + 3)], wr = w[(3 * r)..<(3 * r + 3)], box = boxes[r]
            group.enter()
            Thread.detachNewThread {
                box.outcome = Result { try Self.run(xr, wr, sync: sum) }
                group.leave()
            }
        }
        group.wait()
        let a = try #require(try boxes[0].outcome?.get()), b = try #require(try boxes[1].outcome?.get())
        // Three sums per rank: Σx with the count, Σ(x − mean)², and backward's Σdy, Σdy·x̂.
        #expect(sum.calls == 3)
        #expect(closeness(a.y + b.y, whole.y, rtol: 1e-5) == nil)
        #expect(a.runningMean == b.runningMean && a.runningVar == b.runningVar)
        #expect(closeness(a.runningMean, whole.runningMean, rtol: 1e-5) == nil)
        #expect(closeness(a.runningVar, whole.runningVar, rtol: 1e-5) == nil)
        // Each half's loss averages over 3 samples, the whole batch's over 6: dx doubles, and the
        // averaged parameter gradients (what the gradient all-reduce makes of them) are the whole batch's.
        #expect(closeness((a.dx + b.dx).map { $0 / 2 }, whole.dx, rtol: 1e-4) == nil)
        #expect(closeness(zip(a.dgamma, b.dgamma).map { ($0 + $1) / 2 }, whole.dgamma, rtol: 1e-4) == nil)
        #expect(closeness(zip(a.dbeta, b.dbeta).map { ($0 + $1) / 2 }, whole.dbeta, rtol: 1e-4) == nil)
        // Without the sync each half normalises with its own statistics: different outputs.
        let alone = try Self.run(x[0..<3], w[0..<3], sync: nil)
        #expect(closeness(alone.y, Array(whole.y[0..<54]), rtol: 1e-3) != nil)
    }
}

import Testing
import Tensors

@Suite struct TensorBasicsTests {
    @Test func broadcastAddMatchesHandComputedValues() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3], data: [10, 20, 30])
        let c = a + b
        #expect(c.shape == [2, 3])
        #expect(c.scalars == [11, 22, 33, 14, 25, 36])
        let col = Tensor(shape: [2, 1], data: [100, 200])
        #expect((a * col).scalars == [100, 200, 300, 800, 1000, 1200])
    }

    @Test func copyOnWriteKeepsValueSemantics() {
        var a = Tensor(shape: [3], data: [1, 2, 3])
        let b = a
        a += Tensor(scalar: 1)
        #expect(a.scalars == [2, 3, 4])
        #expect(b.scalars == [1, 2, 3])
        var v = a.reshape([3, 1])  // shares storage with a
        v *= 10
        #expect(v.scalars == [20, 30, 40])
        #expect(a.scalars == [2, 3, 4])
    }

    @Test func creationFunctions() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.full([3], 2.5).scalars == [2.5, 2.5, 2.5])
        #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor(scalar: 7).shape == [])
        #expect(Tensor(scalar: 7).item() == 7)
    }

    @Test func seededRandomIsReproducibleAndHasTheRightMoments() {
        var g1 = RandomGenerator(seed: 42), g2 = RandomGenerator(seed: 42)
        let a = Tensor.normal([100_000], generator: &g1)
        let b = Tensor.normal([100_000], generator: &g2)
        #expect(a.scalars == b.scalars)
        #expect(Swift.abs(a.mean().item()) < 0.02)
        #expect(Swift.abs(a.variance().item() - 1) < 0.02)
        let u = Tensor.uniform([100_000], low: -1, high: 3, generator: &g1)
        #expect(u.min().item() >= -1 && u.max().item() < 3)
        #expect(Swift.abs(u.mean().item() - 1) < 0.02)
        var g3 = RandomGenerator(seed: 43)
        #expect(Tensor.normal([4], generator: &g3).scalars != Tensor.normal([4], generator: &g2).scalars)
    }

    @Test func viewsShareStorageAndSlicesSelectRows() {
        let x = Tensor.arange(0, 24).reshape([2, 3, 4])
        #expect(x[1].shape == [3, 4])
        #expect(x[1].scalars == Array(12..<24).map(Float.init))
        #expect(x[0..<1].shape == [1, 3, 4])
        #expect(x.unsqueeze(0).shape == [1, 2, 3, 4])
        #expect(x.unsqueeze(-1).shape == [2, 3, 4, 1])
        #expect(x.unsqueeze(0).squeeze().shape == [2, 3, 4])
        #expect(x.flatten().shape == [24])
        #expect(x.select(dim: 2, index: 1).scalars == [1, 5, 9, 13, 17, 21])
        #expect(x.chunk(2, dim: 2).map(\.shape) == [[2, 3, 2], [2, 3, 2]])
    }

    @Test func largeParallelOpsMatchSerialArithmetic() {
        // Big enough to be split across threads.
        let n = 1_000_003
        let a = Tensor.arange(0, Float(n))
        let s = (a * 0.5 + 1).sum().item()
        let expected = 0.5 * Double(n - 1) * Double(n) / 2 + Double(n)
        #expect(Swift.abs(Double(s) - expected) / expected < 1e-6)
        let m = Tensor.arange(0, 600_000).reshape([600, 1000])
        let rowMax = m.max(dim: 1).values
        let expectedMax: [Float] = (0..<600).map { Float($0 * 1000 + 999) }
        #expect(rowMax.scalars == expectedMax)
        let colSum = m.sum(dim: 0)
        let expectedFirst = Float((0..<600).reduce(0) { $0 + $1 * 1000 })
        #expect(Swift.abs(colSum[0].item() - expectedFirst) / expectedFirst < 1e-5)
        let bcast = m + Tensor.arange(0, 1000)
        #expect(bcast[599].scalars.last == Float(599 * 1000 + 999 + 999))
    }

    @Test func matmulUsesGemm() {
        let a = Tensor(shape: [2, 2], data: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], data: [5, 6, 7, 8])
        #expect(a.matmul(b).scalars == [19, 22, 43, 50])
        #expect(Tensor.gemm(a, b, transposeA: true, transposeB: false).scalars == [26, 30, 38, 44])
        #expect(Tensor.gemm(a, b, transposeA: false, transposeB: true).scalars == [17, 23, 39, 53])
    }

    @Test func comparisonsCountMatches() {
        let logits = Tensor(shape: [3, 4], data: [0, 5, 1, 2, 9, 1, 1, 1, 0, 0, 0, 3])
        let labels = Tensor([1, 0, 2])
        let correct = logits.argmax(dim: 1).eq(labels).sum().item()
        #expect(correct == 2)
    }
}

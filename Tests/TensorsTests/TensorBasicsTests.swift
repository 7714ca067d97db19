import Testing
@testable import Tensors

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
    }

    @Test func matmulUsesGemm() {
        let a = Tensor(shape: [2, 2], data: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], data: [5, 6, 7, 8])
        #expect(a.matmul(b).scalars == [19, 22, 43, 50])
    }

    @Test func backwardOfProductSum() throws {
        let x = Tensor(shape: [3], data: [1, 2, 3]).requiringGrad()
        let y = Tensor(shape: [3], data: [4, 5, 6]).requiringGrad()
        try (x * y).sum().backward()
        #expect(x.grad?.scalars == [4, 5, 6])
        #expect(y.grad?.scalars == [1, 2, 3])
    }
}

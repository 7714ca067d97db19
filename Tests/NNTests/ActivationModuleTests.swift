// The activation modules of the mobile and efficient families: PyTorch's printed names, the
// functional form they apply (whose values and gradients OpParityTests checks against PyTorch),
// and a gradient through them in a Sequential.

import Testing
import NN
import Tensors

@Suite struct ActivationModuleTests {
    static func modules() -> [(Module, String, (Tensor) -> Tensor)] { [
        (Sigmoid(), "Sigmoid()", { $0.sigmoid() }),
        (Tanh(), "Tanh()", { $0.tanh() }),
        (SiLU(), "SiLU()", { $0.silu() }),
        (Hardswish(), "Hardswish()", { $0.hardswish() }),
        (Hardsigmoid(), "Hardsigmoid()", { $0.hardsigmoid() }),
        (ReLU6(inplace: true), "ReLU6()", { $0.relu6() }),
        (GELU(), "GELU(approximate='none')", { $0.gelu() }),
        (GELU(approximate: .tanh), "GELU(approximate='tanh')", { $0.gelu(approximate: .tanh) }),
    ] }

    @Test func namesAndValuesAreThoseOfTheFunctionalForms() {
        var g = RandomGenerator(seed: 5)
        let x = Tensor.uniform([2, 3, 4], low: -7, high: 7, generator: &g)
        for (module, name, functional) in Self.modules() {
            #expect(module.summary == name)
            #expect(module(x).scalars == functional(x).scalars, "\(name)")
            #expect(module.parameters().isEmpty, "\(name)")
        }
    }

    @Test func gradientsFlowThroughASequential() throws {
        // Linear → activation → sum: the input gradient is Wᵀ·f′(Wx), nonzero for inputs off the kinks.
        for (module, name, _) in Self.modules() {
            let net = Sequential(Linear(3, 4), module)
            var g = RandomGenerator(seed: 6)
            let x = Tensor.uniform([2, 3], low: -1, high: 1, generator: &g).requiringGrad()
            try net(x).sum().backward()
            let grad = try #require(x.grad)
            #expect(grad.shape == [2, 3] && grad.scalars.contains { $0 != 0 }, "\(name)")
        }
    }

    @Test func nanPassesThrough() {
        let x = Tensor(shape: [3], data: [.nan, -4, 8])
        #expect(x.relu6().scalars[0].isNaN && x.relu6().scalars[1...] == [0, 6])
        #expect(x.hardswish().scalars[0].isNaN && x.hardswish().scalars[1...] == [0, 8])
        #expect(x.hardsigmoid().scalars[0].isNaN && x.hardsigmoid().scalars[1...] == [0, 1])
        #expect(x.silu().scalars[0].isNaN && x.gelu().scalars[0].isNaN)
    }
}

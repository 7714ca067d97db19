import Tensors

/// Fully connected layer `y = x·Wᵀ + b` (PyTorch's `nn.Linear`), with PyTorch's default initialisation.
public final class Linear: Module, @unchecked Sendable {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        let (w, b) = TorchGenerator.withDefault {
            Init.defaultLayer(weightShape: [outFeatures, inFeatures], bias: bias, generator: &$0)
        }
        weight = Parameter(w)
        self.bias = b.map(Parameter.init)
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    public override var summary: String {
        "Linear(in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True"))"
    }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank >= 1, input.shape[input.rank - 1] == inFeatures else {
            inputError("expected input [..., \(inFeatures)], got \(describe(input.shape))")
        }
        return Tensor.linear(input, weight: weight.value, bias: bias?.value)
    }
}

import Tensors

/// Layer normalisation over the last dimensions (PyTorch's `nn.LayerNorm`): `weight` (ones) and
/// `bias` (zeros) of `normalizedShape`, saved under those names.
public final class LayerNorm: Module, @unchecked Sendable {
    public let normalizedShape: [Int]
    public let eps: Float
    public let weight: Parameter?, bias: Parameter?

    public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Parameter(.ones(normalizedShape)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(.zeros(normalizedShape)) : nil
        super.init()
        if let weight { registerParameter("weight", weight) }
        if let b = self.bias { registerParameter("bias", b) }
    }

    public override var summary: String { "LayerNorm(\(shapeTuple(normalizedShape)), eps=\(eps), elementwise_affine=\(weight == nil ? "False" : "True"))" }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank >= normalizedShape.count, Array(input.shape.suffix(normalizedShape.count)) == normalizedShape else {
            inputError("expected input [..., \(normalizedShape.map(String.init).joined(separator: ", "))], got \(describe(input.shape))")
        }
        return Tensor.layerNorm(input, normalizedShape: normalizedShape, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// Layer normalisation of each pixel's channels of an (N, C, H, W) input (torchvision's
/// `LayerNorm2d`, ConvNeXt's), with `weight` and `bias` of [C] under those names.
public final class LayerNorm2d: Module, @unchecked Sendable {
    public let channels: Int
    public let eps: Float
    public let weight: Parameter?, bias: Parameter?

    public init(_ channels: Int, eps: Float = 1e-6, elementwiseAffine: Bool = true) {
        self.channels = channels
        self.eps = eps
        weight = elementwiseAffine ? Parameter(.ones([channels])) : nil
        bias = elementwiseAffine ? Parameter(.zeros([channels])) : nil
        super.init()
        if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
    }

    public override var summary: String { "LayerNorm2d((\(channels),), eps=\(eps), elementwise_affine=\(weight == nil ? "False" : "True"))" }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank == 4, input.shape[1] == channels else {
            inputError("expected input [N, \(channels), H, W], got \(describe(input.shape))")
        }
        return Tensor.layerNorm2d(input, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// A shape as Python prints a tuple: (3,) or (2, 4).
private func shapeTuple(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

import Tensors
import Traps

/// max(x, 0) (PyTorch's `nn.ReLU`). `inplace` is accepted for familiarity: tensors are values, so
/// the result is always a new tensor.
public final class ReLU: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override var summary: String { "ReLU()" }
    public override func forward(_ input: Tensor) -> Tensor { input.relu() }
}

/// 1 / (1 + e^−x) (PyTorch's `nn.Sigmoid`).
public final class Sigmoid: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override var summary: String { "Sigmoid()" }
    public override func forward(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// tanh(x) (PyTorch's `nn.Tanh`).
public final class Tanh: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override var summary: String { "Tanh()" }
    public override func forward(_ input: Tensor) -> Tensor { input.tanh() }
}

/// x·σ(x) (PyTorch's `nn.SiLU`). `inplace` is accepted for familiarity, as for `ReLU`.
public final class SiLU: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override var summary: String { "SiLU()" }
    public override func forward(_ input: Tensor) -> Tensor { input.silu() }
}

/// x · min(max(x + 3, 0), 6) / 6 (PyTorch's `nn.Hardswish`).
public final class Hardswish: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override var summary: String { "Hardswish()" }
    public override func forward(_ input: Tensor) -> Tensor { input.hardswish() }
}

/// min(max(x + 3, 0), 6) / 6 (PyTorch's `nn.Hardsigmoid`).
public final class Hardsigmoid: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override var summary: String { "Hardsigmoid()" }
    public override func forward(_ input: Tensor) -> Tensor { input.hardsigmoid() }
}

/// min(max(x, 0), 6) (PyTorch's `nn.ReLU6`).
public final class ReLU6: Module, @unchecked Sendable {
    public init(inplace: Bool = false) { super.init() }
    public override var summary: String { "ReLU6()" }
    public override func forward(_ input: Tensor) -> Tensor { input.relu6() }
}

/// x·Φ(x) (PyTorch's `nn.GELU`), exact or with the tanh approximation.
public final class GELU: Module, @unchecked Sendable {
    public let approximate: GELUApproximation
    public init(approximate: GELUApproximation = .none) { self.approximate = approximate; super.init() }
    public override var summary: String { "GELU(approximate='\(approximate.rawValue)')" }
    public override func forward(_ input: Tensor) -> Tensor { input.gelu(approximate: approximate) }
}

/// Returns its input (PyTorch's `nn.Identity`).
public final class Identity: Module, @unchecked Sendable {
    public override init() { super.init() }
    public override var summary: String { "Identity()" }
    public override func forward(_ input: Tensor) -> Tensor { input }
}

/// Merges dimensions `startDim...endDim` (PyTorch's `nn.Flatten`, default from dimension 1).
public final class Flatten: Module, @unchecked Sendable {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) { self.startDim = startDim; self.endDim = endDim; super.init() }
    public override var summary: String { "Flatten(start_dim=\(startDim), end_dim=\(endDim))" }
    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank > Swift.max(startDim, 0) else { inputError("expected at least \(startDim + 1) dimensions, got \(describe(input.shape))") }
        return input.flatten(startDim: startDim, endDim: endDim)
    }
}

/// Zeroes elements with probability `p` in training mode, scaling the rest by 1/(1−p)
/// (PyTorch's `nn.Dropout`). Draws from the process-wide generator.
public final class Dropout: Module, @unchecked Sendable {
    public let p: Float
    public init(p: Float = 0.5) {
        trapUnless(p >= 0 && p <= 1, "Dropout probability has to be between 0 and 1, but got \(p)")
        self.p = p
        super.init()
    }
    public override var summary: String { "Dropout(p=\(p))" }
    public override func forward(_ input: Tensor) -> Tensor {
        guard isTraining && p > 0 else { return input }
        return TorchGenerator.withDefault { input.dropout(p: p, training: true, generator: &$0) }
    }
}

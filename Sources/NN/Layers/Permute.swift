import Tensors

/// Reorders the input's dimensions (torchvision's `ops.misc.Permute`; ConvNeXt's switch to
/// channels-last and back around its LayerNorm and Linear layers). No parameters.
public final class Permute: Module, @unchecked Sendable {
    public let dims: [Int]

    public init(_ dims: [Int]) {
        self.dims = dims
        super.init()
    }

    public override var summary: String { "Permute(dims=\(dims))" }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank == dims.count else { inputError("expected an input of rank \(dims.count), got \(describe(input.shape))") }
        return input.permute(dims)
    }
}

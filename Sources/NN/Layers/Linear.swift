import Foundation
import Tensors

/// Fully connected layer `y = x·Wᵀ + b` (PyTorch's `nn.Linear`), with PyTorch's default initialisation.
public final class Linear: Module, @unchecked Sendable {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// The weight packed for the GEMM once, used in evaluation mode without autograd (set by
    /// `foldBatchNormsForInference`, cleared by `train()` and state-dict loads; repacked if the
    /// ISA path changes).
    private var packed: PackedLinearWeights?
    private let packedLock = NSLock()

    /// Packs the current weight for inference.
    func setPacked() {
        let fresh = PackedLinearWeights(weight.value.detached())
        packedLock.withLock { packed = fresh }
    }

    override func clearFolding() { packedLock.withLock { packed = nil } }

    /// The packed weight for the active ISA path, if inference packing is on.
    private func packedWeight() -> PackedLinearWeights? {
        let isa = KernelISA.active
        return packedLock.withLock {
            guard let current = packed else { return nil }
            if current.isa != isa { packed = PackedLinearWeights(weight.value.detached(), isa: isa) }
            return packed
        }
    }

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
        // Packed panels pay from a few rows on; a matrix-vector product streams the plain weight.
        if !isTraining, input.count >= 8 &* inFeatures, !Tensor.recordsGradient(of: input, weight.value),
           let packed = packedWeight() {
            return Tensor.linear(input, packed: packed, bias: bias?.value)
        }
        return Tensor.linear(input, weight: weight.value, bias: bias?.value)
    }
}

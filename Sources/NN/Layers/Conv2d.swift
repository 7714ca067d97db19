import Synchronization
import Tensors
import Traps

/// 2-D convolution layer (PyTorch's `nn.Conv2d`), with PyTorch's default initialisation.
public final class Conv2d: Module, @unchecked Sendable {
    public let inChannels: Int, outChannels: Int
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// Weight and bias with a following BatchNorm folded in (or a snapshot of its own), used in
    /// evaluation mode (see `foldBatchNormsForInference`): the weight is kept only as panels packed
    /// for the conv kernels (one copy beside the parameters), repacked if the ISA path changes.
    private let folded = Mutex<(packed: PackedConvWeights, bias: Tensor?)?>(nil)

    /// Sets the evaluation-mode weight and bias (packed now for the active ISA path).
    func setFolded(weight: Tensor, bias: Tensor?) {
        let packed = PackedConvWeights.pack(weight, groups: groups)
        folded.withLock { $0 = (packed, bias) }
    }

    /// Whether evaluation-mode weights are set.
    var isFolded: Bool { folded.withLock { $0 != nil } }

    /// The evaluation-mode weights for the active ISA path.
    private func foldedWeights() -> (packed: PackedConvWeights, bias: Tensor?)? {
        let isa = KernelISA.active
        return folded.withLock { state in
            guard let current = state else { return nil }
            if current.packed.isa != isa { state = (current.packed.packed(for: isa), current.bias) }
            return state
        }
    }

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) {
        trapUnless(inChannels % groups == 0 && outChannels % groups == 0,
                   "Conv2d: in_channels \(inChannels) and out_channels \(outChannels) must be divisible by groups \(groups)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding; self.dilation = dilation
        self.groups = groups
        let (w, b) = TorchGenerator.withDefault {
            Init.defaultLayer(weightShape: [outChannels, inChannels / groups, kernelSize.0, kernelSize.1], bias: bias, generator: &$0)
        }
        weight = Parameter(w)
        self.bias = b.map(Parameter.init)
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// A square kernel with equal strides and paddings.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias)
    }

    public override var summary: String {
        var s = "Conv2d(\(inChannels), \(outChannels), kernel_size=\(kernelSize), stride=\(stride)"
        if padding != (0, 0) { s += ", padding=\(padding)" }
        if dilation != (1, 1) { s += ", dilation=\(dilation)" }
        if groups != 1 { s += ", groups=\(groups)" }
        if bias == nil { s += ", bias=False" }
        return s + ")"
    }

    override func clearFolding() { folded.withLock { $0 = nil } }

    /// act(norm(conv(x)) + residual): this conv, then `norm` (a BatchNorm2d that directly follows it,
    /// or nil), the residual (of the output's shape) and the activation. In evaluation mode with the
    /// norm folded into this conv (`foldBatchNormsForInference`) it is one fused kernel pass over
    /// the output; otherwise the separate layers and ops run (with their gradients).
    public func forward(_ input: Tensor, then norm: BatchNorm2d?, residual: Tensor? = nil,
                        activation: ConvActivation = .none) -> Tensor {
        if !isTraining, norm.map({ $0.isFoldedIntoConv && !$0.isTraining }) ?? true, let folded = foldedWeights() {
            checkInput(input)
            return Tensor.conv2d(input, packed: folded.packed, bias: folded.bias, stride: stride, padding: padding,
                                 dilation: dilation, residual: residual, activation: activation)
        }
        var out = forward(input)
        if let norm { out = norm(out) }
        if let residual { out = out + residual }
        return activation == .relu ? out.relu() : out
    }

    private func checkInput(_ input: Tensor) {
        guard input.rank == 4, input.shape[1] == inChannels else {
            inputError("expected input [N, \(inChannels), H, W], got \(describe(input.shape))")
        }
        do {
            // The declared shape: an inference-only module may have released its weight parameter.
            let shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
            _ = try Tensor.conv2dGeometry(input: input.shape, weight: shape, stride: stride, padding: padding,
                                          dilation: dilation, groups: groups)
        } catch { inputError(error.message) }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        checkInput(input)
        if !isTraining, let folded = foldedWeights() {
            return Tensor.conv2d(input, packed: folded.packed, bias: folded.bias, stride: stride, padding: padding,
                                 dilation: dilation)
        }
        return Tensor.conv2d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                             dilation: dilation, groups: groups)
    }
}

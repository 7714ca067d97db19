// The activations of torchvision's mobile and efficient families, with autograd: SiLU, Hardswish,
// Hardsigmoid, ReLU6 and GELU (exact or tanh), each with PyTorch's gradient at its kinks.

extension Tensor {
    /// x·σ(x) elementwise (PyTorch's `F.silu`, EfficientNet's and RegNet-Y's activation).
    public func silu() -> Tensor { vectorActivation("silu", .silu) }

    /// min(max(x + 3, 0), 6) / 6 elementwise (`F.hardsigmoid`, MobileNetV3's squeeze-and-excitation gate).
    public func hardsigmoid() -> Tensor { activation("hardsigmoid", HardsigmoidKernel(), HardsigmoidGradKernel()) }

    /// x · min(max(x + 3, 0), 6) / 6 elementwise (`F.hardswish`, MobileNetV3's activation).
    public func hardswish() -> Tensor { activation("hardswish", HardswishKernel(), HardswishGradKernel()) }

    /// min(max(x, 0), 6) elementwise (`F.relu6`, MobileNetV2's activation).
    public func relu6() -> Tensor { activation("relu6", ReLU6Kernel(), ReLU6GradKernel()) }

    /// GELU elementwise (`F.gelu`): x·Φ(x) with the exact error function (`approximate: .none`,
    /// PyTorch's default and ConvNeXt's and ViT's), or the tanh approximation (`.tanh`).
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        switch approximate {
        case .none: vectorActivation("gelu", .gelu)
        case .tanh: activation("gelu", GELUTanhKernel(), GELUTanhGradKernel())
        }
    }

    /// f(x) elementwise on CKernels' vectors, recording g·f′(x) (from the input) when a gradient is wanted.
    func vectorActivation(_ name: String, _ kind: VectorActivation) -> Tensor {
        var out = Tensors.vectorActivation(self, kind)
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record(name, inputs: [self]) { g in [vectorActivationGradient(g, x, kind)] }
        }
        return out
    }

    /// f(x) elementwise, recording g·f′(x) (computed from the input) when a gradient is wanted.
    private func activation<F: UnaryKernel, G: BinaryKernel>(_ name: String, _ f: F, _ gradient: G) -> Tensor {
        var out = unaryMap(self, f)
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record(name, inputs: [self]) { g in [binaryMap(g, x, gradient)] }
        }
        return out
    }
}

/// How `gelu` computes Φ (PyTorch's `approximate` argument).
public enum GELUApproximation: String, Sendable, CaseIterable {
    /// The exact error function.
    case none
    /// ½·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case tanh
}

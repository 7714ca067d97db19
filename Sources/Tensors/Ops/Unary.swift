// Unary math with autograd: exp, log, sqrt, abs, relu, sigmoid, tanh.

extension Tensor {
    /// e^x elementwise.
    public func exp() -> Tensor {
        var out = unaryMap(self, ExpKernel())
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            out.record("exp", inputs: [self]) { g in [g * y] }
        }
        return out
    }

    /// Natural logarithm elementwise.
    public func log() -> Tensor {
        var out = unaryMap(self, LogKernel())
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record("log", inputs: [self]) { g in [g / x] }
        }
        return out
    }

    /// Square root elementwise.
    public func sqrt() -> Tensor {
        var out = unaryMap(self, SqrtKernel())
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            out.record("sqrt", inputs: [self]) { g in [g / (y * 2)] }
        }
        return out
    }

    /// Absolute value elementwise (gradient 0 at 0, as in PyTorch).
    public func abs() -> Tensor {
        var out = unaryMap(self, AbsKernel())
        if Tensor.shouldRecord(self) {
            let x = detached()
            out.record("abs", inputs: [self]) { g in [g * unaryMap(x, SignKernel())] }
        }
        return out
    }

    /// max(x, 0) elementwise.
    public func relu() -> Tensor {
        var out = unaryMap(self, ReLUKernel())
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            out.record("relu", inputs: [self]) { g in [binaryMap(g, y, ReLUGradKernel())] }
        }
        return out
    }

    /// 1 / (1 + e^-x) elementwise.
    public func sigmoid() -> Tensor {
        var out = Tensors.vectorActivation(self, .sigmoid)
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            out.record("sigmoid", inputs: [self]) { g in [binaryMap(g, y, SigmoidGradKernel())] }
        }
        return out
    }

    /// Hyperbolic tangent elementwise.
    public func tanh() -> Tensor {
        var out = unaryMap(self, TanhKernel())
        if Tensor.shouldRecord(self) {
            let y = out.detached()
            out.record("tanh", inputs: [self]) { g in [binaryMap(g, y, TanhGradKernel())] }
        }
        return out
    }
}

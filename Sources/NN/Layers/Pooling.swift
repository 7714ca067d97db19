import Tensors

private func checkSpatial(_ m: Module, _ input: Tensor) {
    guard input.rank == 4 || input.rank == 3 else { m.inputError("expected input [N, C, H, W], got \(describe(input.shape))") }
}

/// 2-D max pooling (PyTorch's `nn.MaxPool2d`); `stride` defaults to the kernel size.
public final class MaxPool2d: Module, @unchecked Sendable {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let ceilMode: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.dilation = (dilation, dilation)
        self.ceilMode = ceilMode
        super.init()
    }
    public override var summary: String {
        "MaxPool2d(kernel_size=\(kernelSize.0), stride=\(stride.0), padding=\(padding.0), dilation=\(dilation.0), ceil_mode=\(ceilMode))"
    }
    public override func forward(_ input: Tensor) -> Tensor {
        checkSpatial(self, input)
        return input.maxPool2d(kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

/// 2-D average pooling (PyTorch's `nn.AvgPool2d`).
public final class AvgPool2d: Module, @unchecked Sendable {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public let ceilMode: Bool, countIncludePad: Bool
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        super.init()
    }
    public override var summary: String { "AvgPool2d(kernel_size=\(kernelSize.0), stride=\(stride.0), padding=\(padding.0))" }
    public override func forward(_ input: Tensor) -> Tensor {
        checkSpatial(self, input)
        return input.avgPool2d(kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// Adaptive average pooling to a fixed output size (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: Module, @unchecked Sendable {
    public let outputSize: (Int, Int)
    public init(_ outputSize: (Int, Int)) { self.outputSize = outputSize; super.init() }
    public convenience init(_ size: Int) { self.init((size, size)) }
    public override var summary: String { "AdaptiveAvgPool2d(output_size=\(outputSize))" }
    public override func forward(_ input: Tensor) -> Tensor {
        checkSpatial(self, input)
        return input.adaptiveAvgPool2d(outputSize)
    }
}

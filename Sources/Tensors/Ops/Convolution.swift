// conv2d as a tensor op with autograd (kernels in Kernels/Conv2dKernel.swift).

import Traps

extension Tensor {
    /// Validates conv2d arguments and returns the geometry, or throws naming the shapes.
    public static func conv2dGeometry(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int),
                                      dilation: (Int, Int), groups: Int) throws(TensorError) -> Conv2dGeometry {
        guard weight.count == 4 else { throw TensorError("conv2d: weight must be [Cout, Cin/groups, kH, kW], got \(describe(weight))") }
        guard input.count == 4 else {
            throw TensorError("conv2d: expected a 4-D input [N, \(weight[1] * groups), H, W], got \(describe(input))")
        }
        guard groups >= 1, weight[0] % groups == 0 else {
            throw TensorError("conv2d: out channels \(weight[0]) not divisible by groups \(groups)")
        }
        guard input[1] == weight[1] * groups else {
            throw TensorError("conv2d: expected input with \(weight[1] * groups) channels ([N, \(weight[1] * groups), H, W]), got \(describe(input)) for weight \(describe(weight))")
        }
        guard stride.0 > 0, stride.1 > 0, dilation.0 > 0, dilation.1 > 0, padding.0 >= 0, padding.1 >= 0 else {
            throw TensorError("conv2d: stride and dilation must be positive and padding non-negative")
        }
        let g = Conv2dGeometry(batch: input[0], inChannels: input[1], height: input[2], width: input[3],
                               outChannels: weight[0], kernelH: weight[2], kernelW: weight[3],
                               strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1,
                               dilationH: dilation.0, dilationW: dilation.1, groups: groups)
        guard g.outH > 0, g.outW > 0 else {
            throw TensorError("conv2d: input \(describe(input)) is too small for kernel \(weight[2])×\(weight[3]) with padding \(padding) and dilation \(dilation)")
        }
        return g
    }

    /// 2-D convolution (PyTorch's `F.conv2d`): input [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW],
    /// optional bias [Cout].
    ///
    /// The fused form `act(conv2d(input) + bias + residual)` — `residual` of the output's shape,
    /// `activation` ReLU or none — runs as one pass over the output when no gradient is recorded
    /// (inference), and as the separate ops (with their gradients) otherwise. `packed` holds the
    /// weight already packed for the kernels (`PackedConvWeights.pack`), saving that work per call;
    /// it must be the packing of `weight`.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                              residual: Tensor? = nil, activation: ConvActivation = .none,
                              packed: PackedConvWeights? = nil) -> Tensor {
        let g = check { () throws(TensorError) in
            try conv2dGeometry(input: input.shape, weight: weight.shape, stride: stride, padding: padding,
                               dilation: dilation, groups: groups)
        }
        checkEpilogueShapes(g, bias: bias, residual: residual)
        let fusedInputs = [input, weight] + (bias.map { [$0] } ?? []) + (residual.map { [$0] } ?? [])
        if residual != nil || activation != .none, fusedInputs.contains(where: { shouldRecord($0) }) {
            var out = conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                             groups: groups, packed: packed)
            if let residual { out = out + residual }
            return activation == .relu ? out.relu() : out
        }
        FLOPCounter.add(g.forwardFLOPs)
        var out = Tensor(uninitializedShape: [g.batch, g.outChannels, g.outH, g.outW])
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                withOptionalPointer(bias) { b in
                    withOptionalPointer(residual) { r in
                        Conv2dKernel.forward(x.baseAddress!, w.baseAddress!, b, out.storage.base, g, packed: packed,
                                             residual: r, activation: activation)
                    }
                }
            }
        }
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        if inputs.contains(where: { shouldRecord($0) }) {
            let (x, w) = (input.detached(), weight.detached())
            let needs = inputs.map(\.requiresGrad)
            out.record("conv2d", inputs: inputs) { gy in
                var dx = needs[0] ? Tensor(uninitializedShape: x.shape) : nil
                var dw = needs[1] ? Tensor.zeros(w.shape) : nil
                var db = needs.count == 3 && needs[2] ? Tensor.zeros([g.outChannels]) : nil
                x.withUnsafeBufferPointer { xp in
                    w.withUnsafeBufferPointer { wp in
                        gy.withUnsafeBufferPointer { gp in
                            Conv2dKernel.backward(xp.baseAddress!, wp.baseAddress!, gp.baseAddress!,
                                                  dx: dx?.storage.base, dw: dw?.storage.base, db: db?.storage.base, g)
                        }
                    }
                }
                _ = (dx?.count, dw?.count, db?.count)
                dx?.node = nil; dw?.node = nil; db?.node = nil
                return needs.count == 3 ? [dx, dw, db] : [dx, dw]
            }
        }
        return out
    }
}

extension Tensor {
    /// conv2d with the weight given only as packed panels (`PackedConvWeights`), as evaluation-mode
    /// layers hold it: act(conv2d(input) + bias + residual) in one pass of the implicit-GEMM or
    /// Winograd kernels (repacked if the active ISA path differs). When a gradient is recorded or
    /// another algorithm is chosen (`ConvAlgorithm`), the weight is unpacked and the ordinary
    /// `conv2d` runs.
    public static func conv2d(_ input: Tensor, packed: PackedConvWeights, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                              residual: Tensor? = nil, activation: ConvActivation = .none) -> Tensor {
        let g = check { () throws(TensorError) in
            try conv2dGeometry(input: input.shape, weight: packed.shape, stride: stride, padding: padding,
                               dilation: dilation, groups: packed.groups)
        }
        if let live = LiveTaps(g) {
            // Taps that read only padding: the conv of the live ones, with their own packed weight.
            return conv2d(input, packed: packed.cropped(to: live), bias: bias, stride: stride,
                          padding: (live.geometry.padH, live.geometry.padW), dilation: dilation,
                          residual: residual, activation: activation)
        }
        let recording = ([input] + (bias.map { [$0] } ?? []) + (residual.map { [$0] } ?? [])).contains { shouldRecord($0) }
        let algorithm = ConvAlgorithm.choose(for: g, .forward)
        guard !recording, algorithm == .implicitGemm || algorithm == .winograd || algorithm == .direct else {
            return conv2d(input, weight: packed.unpacked(), bias: bias, stride: stride, padding: padding, dilation: dilation,
                          groups: packed.groups, residual: residual, activation: activation, packed: packed)
        }
        checkEpilogueShapes(g, bias: bias, residual: residual)
        FLOPCounter.add(g.forwardFLOPs)
        let weights = packed.packed(for: KernelISA.active)
        let out = Tensor(uninitializedShape: [g.batch, g.outChannels, g.outH, g.outW])
        input.withUnsafeBufferPointer { x in
            withOptionalPointer(bias) { b in
                withOptionalPointer(residual) { r in
                    if algorithm == .winograd {
                        WinogradConv2d.forward(x.baseAddress!, weights: weights.winograd(), bias: b, residual: r,
                                               activation: activation, out.storage.base, g)
                    } else if algorithm == .direct {
                        DirectConvolution.forward(x.baseAddress!, weights: weights.direct(), bias: b, residual: r,
                                             activation: activation, out.storage.base, g)
                    } else {
                        ImplicitGemmConv2d.forward(x.baseAddress!, packed: weights, bias: b, residual: r, activation: activation,
                                                   out.storage.base, g)
                    }
                }
            }
        }
        return out
    }
}

/// Traps unless `bias` is [Cout] and `residual` has the output's shape.
private func checkEpilogueShapes(_ g: Conv2dGeometry, bias: Tensor?, residual: Tensor?) {
        if let bias, bias.shape != [g.outChannels] {
            trap("conv2d: bias \(describe(bias.shape)) does not match \(g.outChannels) output channels")
        }
        if let residual, residual.shape != [g.batch, g.outChannels, g.outH, g.outW] {
            trap("conv2d: residual \(describe(residual.shape)) does not match the output [\(g.batch), \(g.outChannels), \(g.outH), \(g.outW)]")
        }
}

/// Calls `body` with the tensor's first element, or nil for no tensor.
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress!) }
}

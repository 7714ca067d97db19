// Layer normalisation as tensor ops with autograd (kernel in Kernels/LayerNormKernel.swift).

import Traps

extension Tensor {
    /// Layer normalisation over the last `normalizedShape.count` dimensions (PyTorch's
    /// `F.layer_norm`): each slice of that shape is shifted to mean 0 and scaled to variance 1
    /// (biased, plus `eps`), then multiplied by `weight` and shifted by `bias` (both of
    /// `normalizedShape`, optional).
    public static func layerNorm(_ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Float = 1e-5) -> Tensor {
        let k = normalizedShape.count
        guard k >= 1, input.rank >= k, Array(input.shape.suffix(k)) == normalizedShape else {
            trap("layer_norm: input \(describe(input.shape)) does not end in the normalized shape \(describe(normalizedShape))")
        }
        let d = normalizedShape.reduce(1, *)
        return normalized("layer_norm", input, outer: input.count / Swift.max(d, 1), d: d, inner: 1, parameterShape: normalizedShape,
                          weight: weight, bias: bias, eps: eps)
    }

    /// Layer normalisation of each pixel's channels of an NCHW input (torchvision's `LayerNorm2d`,
    /// ConvNeXt's: a LayerNorm over C applied channels-last), without permuting the input;
    /// `weight` and `bias` are [C].
    public static func layerNorm2d(_ input: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        guard input.rank == 4 else { trap("layer_norm2d: expected an input [N, C, H, W], got \(describe(input.shape))") }
        let (n, c) = (input.shape[0], input.shape[1])
        return normalized("layer_norm2d", input, outer: n, d: c, inner: input.shape[2] * input.shape[3], parameterShape: [c],
                          weight: weight, bias: bias, eps: eps)
    }

    /// The op over outer × d × inner, recording its gradients.
    private static func normalized(_ name: String, _ input: Tensor, outer: Int, d: Int, inner: Int, parameterShape: [Int],
                                   weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        for (role, t) in [("weight", weight), ("bias", bias)] {
            if let t, t.shape != parameterShape {
                trap("\(name): \(role) \(describe(t.shape)) does not match \(describe(parameterShape)) of input \(describe(input.shape))")
            }
        }
        let gamma = weight, beta = bias
        let mean = Tensor(uninitializedShape: [outer * inner]), rstd = Tensor(uninitializedShape: [outer * inner])
        var out = Tensor(uninitializedShape: input.shape)
        input.withUnsafeBufferPointer { x in
            withOptionalPointer(gamma) { g in
                withOptionalPointer(beta) { b in
                    LayerNormKernel.forward(x.baseAddress!, out.storage.base, outer: outer, d: d, inner: inner, gamma: g, beta: b,
                                            eps: eps, mean: mean.storage.base, rstd: rstd.storage.base)
                }
            }
        }
        let inputs = [input] + [weight, bias].compactMap { $0 }
        if inputs.contains(where: { shouldRecord($0) }) {
            let x = input.detached(), g = gamma?.detached()
            let needs = inputs.map(\.requiresGrad)
            let (hasWeight, hasBias) = (weight != nil, bias != nil)
            out.record(name, inputs: inputs) { dy in
                var dx = needs[0] ? Tensor(uninitializedShape: x.shape) : nil
                let dgamma = hasWeight ? Tensor(uninitializedShape: parameterShape) : nil
                let dbeta = hasBias ? Tensor(uninitializedShape: parameterShape) : nil
                x.withUnsafeBufferPointer { xp in
                    dy.withUnsafeBufferPointer { dp in
                        withOptionalPointer(g) { gp in
                            LayerNormKernel.backward(xp.baseAddress!, dp.baseAddress!, outer: outer, d: d, inner: inner, gamma: gp,
                                                     mean: mean.storage.base, rstd: rstd.storage.base, dx: dx?.storage.base,
                                                     dgamma: dgamma?.storage.base, dbeta: dbeta?.storage.base)
                        }
                    }
                }
                dx?.node = nil
                var grads: [Tensor?] = [dx]
                if hasWeight { grads.append(dgamma) }
                if hasBias { grads.append(dbeta) }
                return grads
            }
        }
        return out
    }
}

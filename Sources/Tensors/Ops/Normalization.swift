// Batch normalisation and dropout as tensor ops with autograd.

import Foundation
import Traps

extension Tensor {
    /// Batch normalisation over dimension 1 of an (N, C, ...) input (PyTorch's `F.batch_norm`).
    /// In training mode the batch statistics normalise, and the running statistics (if given) are
    /// updated in place: `running = (1 − momentum)·running + momentum·stat`, with the unbiased
    /// variance, as PyTorch does. In evaluation mode the running statistics normalise.
    /// - Parameter sync: in training mode, makes the batch statistics (and their gradients) span
    ///   the batches of every process of a data-parallel run, as `SyncBatchNorm` (every process
    ///   must then run the same layers in the same order).
    public static func batchNorm(_ input: Tensor, runningMean: inout Tensor?, runningVar: inout Tensor?,
                                 weight: Tensor?, bias: Tensor?, training: Bool, momentum: Float = 0.1,
                                 eps: Float = 1e-5, sync: (any CrossProcessSum)? = nil) -> Tensor {
        guard input.rank >= 2 else { trap("batch_norm: expected an input [N, C, ...], got \(describe(input.shape))") }
        let (n, c) = (input.shape[0], input.shape[1])
        let s = input.count / Swift.max(n * c, 1)
        for (name, t) in [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar)] {
            if let t, t.shape != [c] {
                trap("batch_norm: \(name) \(describe(t.shape)) does not match \(c) channels of input \(describe(input.shape))")
            }
        }
        if !training && (runningMean == nil || runningVar == nil) {
            trap("batch_norm: evaluation mode needs running statistics")
        }
        if training && n * s <= 1 {
            trap("batch_norm: expected more than 1 value per channel when training, got input \(describe(input.shape))")
        }
        let mean = Tensor(uninitializedShape: [c]), invStd = Tensor(uninitializedShape: [c])
        let sync = training ? sync : nil
        var total = n * s  // values per channel behind the statistics (over every process with `sync`)
        if training {
            var variance = Tensor(uninitializedShape: [c])
            input.withUnsafeBufferPointer { x in
                if let sync {
                    total = BatchNormKernel.statistics(x.baseAddress!, n: n, c: c, s: s, mean: mean.storage.base,
                                                       variance: variance.storage.base, across: sync)
                } else {
                    BatchNormKernel.statistics(x.baseAddress!, n: n, c: c, s: s, mean: mean.storage.base, variance: variance.storage.base)
                }
            }
            if runningMean != nil && runningVar != nil {
                let unbiased = Float(total) / Float(Swift.max(total - 1, 1))
                withNoGrad {
                    runningMean! *= 1 - momentum
                    runningMean! += mean * momentum
                    runningVar! *= 1 - momentum
                    runningVar! += variance * (momentum * unbiased)
                }
            }
            variance.withUnsafeMutableBufferPointer { v in
                for i in 0..<c { invStd.storage.base[i] = 1 / (v[i] + eps).squareRoot() }
            }
        } else {
            runningMean!.withUnsafeBufferPointer { m in mean.storage.base.update(from: m.baseAddress!, count: c) }
            runningVar!.withUnsafeBufferPointer { v in
                for i in 0..<c { invStd.storage.base[i] = 1 / (v[i] + eps).squareRoot() }
            }
        }
        // y = x·a + b with a = γ·invstd, b = β − μ·a.
        let scale = Tensor(uninitializedShape: [c]), shift = Tensor(uninitializedShape: [c])
        for i in 0..<c {
            let gamma = weight.map { $0.storage.base[$0.offset + i] } ?? 1
            let beta = bias.map { $0.storage.base[$0.offset + i] } ?? 0
            scale.storage.base[i] = gamma * invStd.storage.base[i]
            shift.storage.base[i] = beta - mean.storage.base[i] * scale.storage.base[i]
        }
        var out = Tensor(uninitializedShape: input.shape)
        input.withUnsafeBufferPointer { x in
            BatchNormKernel.affine(x.baseAddress!, out.storage.base, n: n, c: c, s: s, scale: scale.storage.base, shift: shift.storage.base)
        }
        let inputs = [input] + [weight, bias].compactMap { $0 }
        if inputs.contains(where: { shouldRecord($0) }) {
            let x = input.detached(), gamma = weight?.detached()
            let needs = inputs.map(\.requiresGrad)
            let (hasWeight, hasBias) = (weight != nil, bias != nil)
            let count = total
            out.record("batch_norm", inputs: inputs) { dy in
                var dx = needs[0] ? Tensor(uninitializedShape: x.shape) : nil
                let dgamma = Tensor(uninitializedShape: [c]), dbeta = Tensor(uninitializedShape: [c])
                x.withUnsafeBufferPointer { xp in
                    dy.withUnsafeBufferPointer { dp in
                        if let sync {
                            BatchNormKernel.backward(xp.baseAddress!, dp.baseAddress!, n: n, c: c, s: s, count: count,
                                                     mean: mean.storage.base, invStd: invStd.storage.base,
                                                     gamma: gamma.map { $0.storage.base + $0.offset }, dx: dx?.storage.base,
                                                     dgamma: dgamma.storage.base, dbeta: dbeta.storage.base, across: sync)
                        } else {
                            BatchNormKernel.backward(xp.baseAddress!, dp.baseAddress!, n: n, c: c, s: s,
                                                     mean: mean.storage.base, invStd: invStd.storage.base,
                                                     gamma: gamma.map { $0.storage.base + $0.offset }, dx: dx?.storage.base,
                                                     dgamma: dgamma.storage.base, dbeta: dbeta.storage.base, training: training)
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

    /// Zeroes each element with probability `p` and scales the rest by 1/(1−p) (training only).
    public func dropout<G: TensorRandomSource>(p: Float, training: Bool, generator: inout G) -> Tensor {
        guard training, p > 0 else { return self }
        guard p < 1 else { return self * 0 }
        let keep = 1 - p, scale = 1 / keep
        let mask = Tensor(uninitializedShape: shape)
        for i in 0..<count { mask.storage.base[i] = generator.nextUniform() < keep ? scale : 0 }
        return self * mask
    }
}

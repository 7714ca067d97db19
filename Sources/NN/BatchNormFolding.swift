// Folding BatchNorm into the preceding convolution for inference.
//
// In evaluation mode BN is the per-channel affine map y = x·a + b with a = γ/√(σ²+ε),
// b = β − μ·a, so conv-then-BN equals one conv with weight W·a (per output channel) and bias
// b + c·a (c the conv's own bias). Folding keeps the parameters and state dict untouched: the conv
// keeps the folded weight and bias beside its parameters and uses them in evaluation mode, and the BN
// passes its input through. `train()` or loading a state dict clears the folding. Convs with no BN
// keep a snapshot of their own weights the same way, so every conv's packed weights are made once.

import Tensors

extension Module {
    /// Folds every BatchNorm that directly follows a convolution (as declared by the modules'
    /// `convBatchNormPairs`) into that convolution, and switches to evaluation mode. Predictions are
    /// unchanged up to float rounding; inference skips one pass over each BN's activations.
    /// Convs without a BatchNorm keep a snapshot of their own weight and bias, so that every conv's
    /// weights are packed for the kernels once rather than on every call; linear layers pack theirs
    /// too (used in evaluation mode when no gradient is recorded).
    public func foldBatchNormsForInference() {
        eval()
        for (_, m) in namedModules() {
            for (conv, bn) in m.convBatchNormPairs { bn.fold(into: conv) }
        }
        for (_, m) in namedModules() {
            guard let conv = m as? Conv2d, !conv.isFolded else { continue }
            conv.setFolded(weight: conv.weight.value.detached(), bias: conv.bias?.value.detached())
        }
        for (_, m) in namedModules() { (m as? Linear)?.setPacked() }
    }
}

extension Module {
    /// After `foldBatchNormsForInference`, drops the weights of every folded conv (each conv then
    /// holds its weight once, folded and packed, instead of beside its parameter: 45 MB less for a
    /// ResNet-18). The module can then only evaluate: its conv weight parameters are empty, so
    /// `train()`, a state dict or a refold would see no weights. For inference-only processes
    /// (`vision classify`); returns the number of floats released.
    @discardableResult
    public func releaseUnfoldedConvWeights() -> Int {
        var released = 0
        for (_, m) in namedModules() {
            guard let conv = m as? Conv2d, conv.isFolded else { continue }
            released += conv.weight.value.count
            conv.weight.value.releaseStorageToSystemWhenFreed()
            conv.weight.value = Tensor.zeros([0])
        }
        return released
    }
}

extension BatchNorm2d {
    /// Folds this (evaluation-mode) BN into `conv`, which must feed it directly.
    func fold(into conv: Conv2d) {
        guard let runningMean, let runningVar, conv.outChannels == numFeatures else { return }
        let c = numFeatures
        let mean = runningMean.value.scalars, variance = runningVar.value.scalars
        let gamma = weight?.value.scalars ?? [Float](repeating: 1, count: c)
        let beta = bias?.value.scalars ?? [Float](repeating: 0, count: c)
        let convBias = conv.bias?.value.scalars ?? [Float](repeating: 0, count: c)
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for i in 0..<c {
            scale[i] = gamma[i] / (variance[i] + eps).squareRoot()
            shift[i] = beta[i] + (convBias[i] - mean[i]) * scale[i]
        }
        let perChannel = conv.weight.value.count / c
        var w = conv.weight.value.detached().clone()
        w.withUnsafeMutableBufferPointer { p in
            for i in 0..<c { for j in 0..<perChannel { p[i * perChannel + j] *= scale[i] } }
        }
        conv.setFolded(weight: w, bias: Tensor(shift))
        isFoldedIntoConv = true
    }
}

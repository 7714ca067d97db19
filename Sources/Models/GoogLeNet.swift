// GoogLeNet (Inception v1) with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.googlenet): BasicConv2d stem, nine Inception blocks between ceil-mode max
// pools, global pooling, dropout 0.2 and a linear classifier; two auxiliary classifiers (`aux1`
// after inception4a, `aux2` after inception4d) that run only in training mode.
//
// Outputs: `forward` returns the main logits in both modes (torchvision's eval output; in
// training torchvision returns a (logits, aux2, aux1) tuple, which `forwardWithAuxiliary` gives
// for a loss such as main + 0.4·(aux1 + aux2), which `Trainer` uses via `AuxiliaryClassifiers`).

import NN
import Tensors

/// torchvision's GoogLeNet `Inception` block: 1×1; 1×1 → 3×3; 1×1 → 3×3 (torchvision's "5×5"
/// branch, a known 3×3 kept for its weights); 3×3/1 max pool → 1×1; concatenated.
public final class GoogLeNetInception: Module, @unchecked Sendable {
    let branch1: BasicConv2d
    let branch2: Sequential, branch3: Sequential, branch4: Sequential

    init(_ input: Int, _ ch1x1: Int, _ ch3x3red: Int, _ ch3x3: Int, _ ch5x5red: Int, _ ch5x5: Int, _ poolProj: Int) {
        branch1 = BasicConv2d(input, ch1x1, kernelSize: 1)
        branch2 = Sequential(BasicConv2d(input, ch3x3red, kernelSize: 1), BasicConv2d(ch3x3red, ch3x3, kernelSize: 3, padding: 1))
        branch3 = Sequential(BasicConv2d(input, ch5x5red, kernelSize: 1), BasicConv2d(ch5x5red, ch5x5, kernelSize: 3, padding: 1))
        branch4 = Sequential(MaxPool2d(kernelSize: 3, stride: 1, padding: 1, ceilMode: true), BasicConv2d(input, poolProj, kernelSize: 1))
        super.init()
        registerModule("branch1", branch1)
        registerModule("branch2", branch2)
        registerModule("branch3", branch3)
        registerModule("branch4", branch4)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        Tensor.cat([branch1(x), branch2(x), branch3(x), branch4(x)], dim: 1)
    }
}

/// torchvision's GoogLeNet `InceptionAux`: adaptive average pool to 4×4 → 1×1 BasicConv2d to 128
/// → flatten → fc1 (2048 → 1024) → ReLU → dropout (0.7) → fc2 (→ classes).
public final class GoogLeNetAux: Module, @unchecked Sendable {
    let conv: BasicConv2d, fc1: Linear, fc2: Linear, dropout: Dropout

    init(_ input: Int, numClasses: Int, dropout p: Float) {
        conv = BasicConv2d(input, 128, kernelSize: 1)
        fc1 = Linear(2048, 1024)
        fc2 = Linear(1024, numClasses)
        dropout = Dropout(p: p)
        super.init()
        registerModule("conv", conv)
        registerModule("fc1", fc1)
        registerModule("fc2", fc2)
        registerModule("dropout", dropout)
    }

    /// [N, C, H, W] → [N, classes].
    public override func forward(_ x: Tensor) -> Tensor {
        let pooled = conv(x.adaptiveAvgPool2d((4, 4))).flatten(startDim: 1)
        return fc2(dropout(fc1(pooled).relu()))
    }
}

/// What GoogLeNet's forward computes: the main logits and, in training mode with auxiliary heads,
/// those of `aux2` and `aux1` (torchvision's `GoogLeNetOutputs`), each [N, classes].
public struct GoogLeNetOutputs {
    public let logits: Tensor
    public let aux2: Tensor?
    public let aux1: Tensor?
}

/// torchvision's `GoogLeNet` (as `googlenet()` builds it without weights: auxiliary heads, no
/// input transform, truncated-normal initialisation).
public final class GoogLeNet: Module, @unchecked Sendable {
    let conv1: BasicConv2d, maxpool1: MaxPool2d, conv2: BasicConv2d, conv3: BasicConv2d, maxpool2: MaxPool2d
    let inception3a: GoogLeNetInception, inception3b: GoogLeNetInception, maxpool3: MaxPool2d
    let inception4a: GoogLeNetInception, inception4b: GoogLeNetInception, inception4c: GoogLeNetInception
    let inception4d: GoogLeNetInception, inception4e: GoogLeNetInception, maxpool4: MaxPool2d
    let inception5a: GoogLeNetInception, inception5b: GoogLeNetInception
    /// The auxiliary classifiers (nil when built with `auxLogits: false`).
    public let aux1: GoogLeNetAux?, aux2: GoogLeNetAux?
    let dropout: Dropout
    /// The classifier head.
    public let fc: Linear
    /// Re-normalise the input as torchvision's `transform_input` (set with its ImageNet weights).
    public var transformInput: Bool

    public init(numClasses: Int = 1000, auxLogits: Bool = true, transformInput: Bool = false, initWeights: Bool = true,
                dropout p: Float = 0.2, dropoutAux: Float = 0.7) {
        self.transformInput = transformInput
        conv1 = BasicConv2d(3, 64, kernelSize: 7, stride: 2, padding: 3)
        maxpool1 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
        conv2 = BasicConv2d(64, 64, kernelSize: 1)
        conv3 = BasicConv2d(64, 192, kernelSize: 3, padding: 1)
        maxpool2 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
        inception3a = GoogLeNetInception(192, 64, 96, 128, 16, 32, 32)
        inception3b = GoogLeNetInception(256, 128, 128, 192, 32, 96, 64)
        maxpool3 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
        inception4a = GoogLeNetInception(480, 192, 96, 208, 16, 48, 64)
        inception4b = GoogLeNetInception(512, 160, 112, 224, 24, 64, 64)
        inception4c = GoogLeNetInception(512, 128, 128, 256, 24, 64, 64)
        inception4d = GoogLeNetInception(512, 112, 144, 288, 32, 64, 64)
        inception4e = GoogLeNetInception(528, 256, 160, 320, 32, 128, 128)
        maxpool4 = MaxPool2d(kernelSize: 2, stride: 2, ceilMode: true)
        inception5a = GoogLeNetInception(832, 256, 160, 320, 32, 128, 128)
        inception5b = GoogLeNetInception(832, 384, 192, 384, 48, 128, 128)
        aux1 = auxLogits ? GoogLeNetAux(512, numClasses: numClasses, dropout: dropoutAux) : nil
        aux2 = auxLogits ? GoogLeNetAux(528, numClasses: numClasses, dropout: dropoutAux) : nil
        dropout = Dropout(p: p)
        fc = Linear(1024, numClasses)
        super.init()
        let named: [(String, Module)] = [
            ("conv1", conv1), ("maxpool1", maxpool1), ("conv2", conv2), ("conv3", conv3), ("maxpool2", maxpool2),
            ("inception3a", inception3a), ("inception3b", inception3b), ("maxpool3", maxpool3),
            ("inception4a", inception4a), ("inception4b", inception4b), ("inception4c", inception4c),
            ("inception4d", inception4d), ("inception4e", inception4e), ("maxpool4", maxpool4),
            ("inception5a", inception5a), ("inception5b", inception5b)]
        for (name, m) in named { registerModule(name, m) }
        if let aux1, let aux2 { registerModule("aux1", aux1); registerModule("aux2", aux2) }
        registerModule("avgpool", AdaptiveAvgPool2d(1))
        registerModule("dropout", dropout)
        registerModule("fc", fc)
        // torchvision: every conv and linear weight trunc_normal(0, 0.01, a = −2, b = 2); BN 1/0.
        if initWeights { initializeTruncatedNormalLikeTorchvision(convStd: 0.01) { _ in 0.01 } }
    }

    public override var summary: String { "GoogLeNet" }

    /// The main logits and, in training mode, the auxiliary heads' (see `GoogLeNetOutputs`).
    public func forwardWithAuxiliary(_ input: Tensor) -> GoogLeNetOutputs {
        guard input.rank == 4, input.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(input.shape))") }
        let x0 = transformInput ? transformInputLikeTorchvision(input) : input
        var x = maxpool2(conv3(conv2(maxpool1(conv1(x0)))))          // N × 192 × H/8 × W/8
        x = maxpool3(inception3b(inception3a(x)))                     // N × 480 × H/16 × W/16
        x = inception4a(x)                                            // N × 512
        let a1 = isTraining ? aux1?(x) : nil
        x = inception4d(inception4c(inception4b(x)))                  // N × 528
        let a2 = isTraining ? aux2?(x) : nil
        x = maxpool4(inception4e(x))                                  // N × 832 × H/32 × W/32
        x = inception5b(inception5a(x))                               // N × 1024
        let logits = fc(dropout(x.adaptiveAvgPool2d((1, 1)).flatten(startDim: 1)))
        return GoogLeNetOutputs(logits: logits, aux2: a2, aux1: a1)
    }

    /// The main logits, [N, classes] (the auxiliary heads still run in training mode, as in torchvision).
    public override func forward(_ x: Tensor) -> Tensor { forwardWithAuxiliary(x).logits }
}

extension GoogLeNet: ClassifierHeads {
    /// The auxiliary heads' last linears and `fc`.
    public var classifierHeadPaths: [String] { (aux1 == nil ? [] : ["aux1.fc2", "aux2.fc2"]) + ["fc"] }
}

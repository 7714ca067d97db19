// Inception v3 with torchvision's exact structure, defaults and state-dict keys
// (torchvision.models.inception, `Inception3`): a BasicConv2d stem, Inception A (×3), B, C (×4),
// D and E (×2) blocks, global pooling, dropout 0.5 and a linear classifier; an auxiliary classifier
// (`AuxLogits`, after Mixed_6e) that runs only in training mode.
//
// Sizes: built for 299 × 299. Evaluation works from 75 × 75 (torchvision's min_size); training
// with the auxiliary head needs Mixed_6e's 17 × 17, i.e. 299 × 299 inputs, as in torchvision.
// `forward` returns the main logits in both modes; `forwardWithAuxiliary` adds the auxiliary
// logits of a training-mode pass (torchvision's `InceptionOutputs`).

import NN
import Tensors

/// Concatenates branch outputs along channels.
private func concat(_ branches: [Tensor]) -> Tensor { Tensor.cat(branches, dim: 1) }

/// A 3×3/1 average pool with padding 1 (count_include_pad), the pooling branch of A, C and E.
private func avgPool3x3(_ x: Tensor) -> Tensor { x.avgPool2d(kernel: (3, 3), stride: (1, 1), padding: (1, 1)) }

/// Registers BasicConv2d children under their names.
private func register(_ m: Module, _ children: [(String, BasicConv2d)]) {
    for (name, child) in children { m.registerModule(name, child) }
}

/// torchvision's `InceptionA` (35 × 35): 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; avg pool → 1×1.
public final class InceptionA: Module, @unchecked Sendable {
    let branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branchPool: BasicConv2d

    init(_ input: Int, poolFeatures: Int) {
        branch1x1 = BasicConv2d(input, 64, kernelSize: 1)
        branch5x5_1 = BasicConv2d(input, 48, kernelSize: 1)
        branch5x5_2 = BasicConv2d(48, 64, kernelSize: 5, padding: 2)
        branch3x3dbl_1 = BasicConv2d(input, 64, kernelSize: 1)
        branch3x3dbl_2 = BasicConv2d(64, 96, kernelSize: 3, padding: 1)
        branch3x3dbl_3 = BasicConv2d(96, 96, kernelSize: 3, padding: 1)
        branchPool = BasicConv2d(input, poolFeatures, kernelSize: 1)
        super.init()
        register(self, [("branch1x1", branch1x1), ("branch5x5_1", branch5x5_1), ("branch5x5_2", branch5x5_2),
                        ("branch3x3dbl_1", branch3x3dbl_1), ("branch3x3dbl_2", branch3x3dbl_2),
                        ("branch3x3dbl_3", branch3x3dbl_3), ("branch_pool", branchPool)])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        concat([branch1x1(x), branch5x5_2(branch5x5_1(x)), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))),
                branchPool(avgPool3x3(x))])
    }
}

/// torchvision's `InceptionB` (35 → 17): 3×3/2; 1×1 → 3×3 → 3×3/2; 3×3/2 max pool.
public final class InceptionB: Module, @unchecked Sendable {
    let branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3: BasicConv2d

    init(_ input: Int) {
        branch3x3 = BasicConv2d(input, 384, kernelSize: 3, stride: 2)
        branch3x3dbl_1 = BasicConv2d(input, 64, kernelSize: 1)
        branch3x3dbl_2 = BasicConv2d(64, 96, kernelSize: 3, padding: 1)
        branch3x3dbl_3 = BasicConv2d(96, 96, kernelSize: 3, stride: 2)
        super.init()
        register(self, [("branch3x3", branch3x3), ("branch3x3dbl_1", branch3x3dbl_1), ("branch3x3dbl_2", branch3x3dbl_2),
                        ("branch3x3dbl_3", branch3x3dbl_3)])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        concat([branch3x3(x), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))), x.maxPool2d(kernel: (3, 3), stride: (2, 2))])
    }
}

/// torchvision's `InceptionC` (17 × 17): 1×1; 1×1 → 1×7 → 7×1; 1×1 → 7×1 → 1×7 → 7×1 → 1×7;
/// avg pool → 1×1; `channels7x7` inside the factorised branches.
public final class InceptionC: Module, @unchecked Sendable {
    let branch1x1, branch7x7_1, branch7x7_2, branch7x7_3: BasicConv2d
    let branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branchPool: BasicConv2d

    init(_ input: Int, channels7x7 c7: Int) {
        branch1x1 = BasicConv2d(input, 192, kernelSize: 1)
        branch7x7_1 = BasicConv2d(input, c7, kernelSize: 1)
        branch7x7_2 = BasicConv2d(c7, c7, kernelSize: (1, 7), padding: (0, 3))
        branch7x7_3 = BasicConv2d(c7, 192, kernelSize: (7, 1), padding: (3, 0))
        branch7x7dbl_1 = BasicConv2d(input, c7, kernelSize: 1)
        branch7x7dbl_2 = BasicConv2d(c7, c7, kernelSize: (7, 1), padding: (3, 0))
        branch7x7dbl_3 = BasicConv2d(c7, c7, kernelSize: (1, 7), padding: (0, 3))
        branch7x7dbl_4 = BasicConv2d(c7, c7, kernelSize: (7, 1), padding: (3, 0))
        branch7x7dbl_5 = BasicConv2d(c7, 192, kernelSize: (1, 7), padding: (0, 3))
        branchPool = BasicConv2d(input, 192, kernelSize: 1)
        super.init()
        register(self, [("branch1x1", branch1x1), ("branch7x7_1", branch7x7_1), ("branch7x7_2", branch7x7_2),
                        ("branch7x7_3", branch7x7_3), ("branch7x7dbl_1", branch7x7dbl_1), ("branch7x7dbl_2", branch7x7dbl_2),
                        ("branch7x7dbl_3", branch7x7dbl_3), ("branch7x7dbl_4", branch7x7dbl_4),
                        ("branch7x7dbl_5", branch7x7dbl_5), ("branch_pool", branchPool)])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b7 = branch7x7_3(branch7x7_2(branch7x7_1(x)))
        let b7dbl = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))))
        return concat([branch1x1(x), b7, b7dbl, branchPool(avgPool3x3(x))])
    }
}

/// torchvision's `InceptionD` (17 → 8): 1×1 → 3×3/2; 1×1 → 1×7 → 7×1 → 3×3/2; 3×3/2 max pool.
public final class InceptionD: Module, @unchecked Sendable {
    let branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4: BasicConv2d

    init(_ input: Int) {
        branch3x3_1 = BasicConv2d(input, 192, kernelSize: 1)
        branch3x3_2 = BasicConv2d(192, 320, kernelSize: 3, stride: 2)
        branch7x7x3_1 = BasicConv2d(input, 192, kernelSize: 1)
        branch7x7x3_2 = BasicConv2d(192, 192, kernelSize: (1, 7), padding: (0, 3))
        branch7x7x3_3 = BasicConv2d(192, 192, kernelSize: (7, 1), padding: (3, 0))
        branch7x7x3_4 = BasicConv2d(192, 192, kernelSize: 3, stride: 2)
        super.init()
        register(self, [("branch3x3_1", branch3x3_1), ("branch3x3_2", branch3x3_2), ("branch7x7x3_1", branch7x7x3_1),
                        ("branch7x7x3_2", branch7x7x3_2), ("branch7x7x3_3", branch7x7x3_3), ("branch7x7x3_4", branch7x7x3_4)])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        concat([branch3x3_2(branch3x3_1(x)), branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x)))),
                x.maxPool2d(kernel: (3, 3), stride: (2, 2))])
    }
}

/// torchvision's `InceptionE` (8 × 8): 1×1; 1×1 → (1×3 ‖ 3×1); 1×1 → 3×3 → (1×3 ‖ 3×1);
/// avg pool → 1×1.
public final class InceptionE: Module, @unchecked Sendable {
    let branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b: BasicConv2d
    let branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branchPool: BasicConv2d

    init(_ input: Int) {
        branch1x1 = BasicConv2d(input, 320, kernelSize: 1)
        branch3x3_1 = BasicConv2d(input, 384, kernelSize: 1)
        branch3x3_2a = BasicConv2d(384, 384, kernelSize: (1, 3), padding: (0, 1))
        branch3x3_2b = BasicConv2d(384, 384, kernelSize: (3, 1), padding: (1, 0))
        branch3x3dbl_1 = BasicConv2d(input, 448, kernelSize: 1)
        branch3x3dbl_2 = BasicConv2d(448, 384, kernelSize: 3, padding: 1)
        branch3x3dbl_3a = BasicConv2d(384, 384, kernelSize: (1, 3), padding: (0, 1))
        branch3x3dbl_3b = BasicConv2d(384, 384, kernelSize: (3, 1), padding: (1, 0))
        branchPool = BasicConv2d(input, 192, kernelSize: 1)
        super.init()
        register(self, [("branch1x1", branch1x1), ("branch3x3_1", branch3x3_1), ("branch3x3_2a", branch3x3_2a),
                        ("branch3x3_2b", branch3x3_2b), ("branch3x3dbl_1", branch3x3dbl_1), ("branch3x3dbl_2", branch3x3dbl_2),
                        ("branch3x3dbl_3a", branch3x3dbl_3a), ("branch3x3dbl_3b", branch3x3dbl_3b), ("branch_pool", branchPool)])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let b3 = branch3x3_1(x)
        let b3dbl = branch3x3dbl_2(branch3x3dbl_1(x))
        return concat([branch1x1(x), concat([branch3x3_2a(b3), branch3x3_2b(b3)]),
                       concat([branch3x3dbl_3a(b3dbl), branch3x3dbl_3b(b3dbl)]), branchPool(avgPool3x3(x))])
    }
}

/// torchvision's Inception v3 `InceptionAux`: 5×5/3 average pool → 1×1 BasicConv2d to 128 →
/// 5×5 BasicConv2d to 768 → global pool → fc (→ classes). Needs a 17 × 17 input.
public final class InceptionAux: Module, @unchecked Sendable {
    let conv0: BasicConv2d, conv1: BasicConv2d
    let fc: Linear

    init(_ input: Int, numClasses: Int) {
        conv0 = BasicConv2d(input, 128, kernelSize: 1)
        conv1 = BasicConv2d(128, 768, kernelSize: 5)
        fc = Linear(768, numClasses)
        super.init()
        registerModule("conv0", conv0)
        registerModule("conv1", conv1)
        registerModule("fc", fc)
    }

    /// [N, 768, 17, 17] → [N, classes].
    public override func forward(_ x: Tensor) -> Tensor {
        let y = conv1(conv0(x.avgPool2d(kernel: (5, 5), stride: (3, 3))))
        return fc(y.adaptiveAvgPool2d((1, 1)).flatten(startDim: 1))
    }
}

/// What Inception v3's forward computes: the main logits and, in training mode with the auxiliary
/// head, its logits (torchvision's `InceptionOutputs`), each [N, classes].
public struct InceptionOutputs {
    public let logits: Tensor
    public let auxLogits: Tensor?
}

/// torchvision's `Inception3` (as `inception_v3()` builds it without weights: auxiliary head, no
/// input transform, truncated-normal initialisation).
public final class InceptionV3: Module, @unchecked Sendable {
    let stem: [(String, Module)]
    let mixed5: [InceptionA], mixed6a: InceptionB, mixed6: [InceptionC]
    /// The auxiliary classifier (nil when built with `auxLogits: false`).
    public let auxLogits: InceptionAux?
    let mixed7a: InceptionD, mixed7: [InceptionE]
    let dropout: Dropout
    /// The classifier head.
    public let fc: Linear
    /// Re-normalise the input as torchvision's `transform_input` (set with its ImageNet weights).
    public var transformInput: Bool

    public init(numClasses: Int = 1000, auxLogits: Bool = true, transformInput: Bool = false, initWeights: Bool = true,
                dropout p: Float = 0.5) {
        self.transformInput = transformInput
        stem = [("Conv2d_1a_3x3", BasicConv2d(3, 32, kernelSize: 3, stride: 2)),
                ("Conv2d_2a_3x3", BasicConv2d(32, 32, kernelSize: 3)),
                ("Conv2d_2b_3x3", BasicConv2d(32, 64, kernelSize: 3, padding: 1)),
                ("maxpool1", MaxPool2d(kernelSize: 3, stride: 2)),
                ("Conv2d_3b_1x1", BasicConv2d(64, 80, kernelSize: 1)),
                ("Conv2d_4a_3x3", BasicConv2d(80, 192, kernelSize: 3)),
                ("maxpool2", MaxPool2d(kernelSize: 3, stride: 2))]
        mixed5 = [InceptionA(192, poolFeatures: 32), InceptionA(256, poolFeatures: 64), InceptionA(288, poolFeatures: 64)]
        mixed6a = InceptionB(288)
        mixed6 = [128, 160, 160, 192].map { InceptionC(768, channels7x7: $0) }
        self.auxLogits = auxLogits ? InceptionAux(768, numClasses: numClasses) : nil
        mixed7a = InceptionD(768)
        mixed7 = [InceptionE(1280), InceptionE(2048)]
        dropout = Dropout(p: p)
        fc = Linear(2048, numClasses)
        super.init()
        for (name, m) in stem { registerModule(name, m) }
        for (name, m) in zip(["Mixed_5b", "Mixed_5c", "Mixed_5d"], mixed5) { registerModule(name, m) }
        registerModule("Mixed_6a", mixed6a)
        for (name, m) in zip(["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"], mixed6) { registerModule(name, m) }
        if let aux = self.auxLogits { registerModule("AuxLogits", aux) }
        registerModule("Mixed_7a", mixed7a)
        for (name, m) in zip(["Mixed_7b", "Mixed_7c"], mixed7) { registerModule(name, m) }
        registerModule("avgpool", AdaptiveAvgPool2d(1))
        registerModule("dropout", dropout)
        registerModule("fc", fc)
        // torchvision: every conv and linear weight trunc_normal(0, stddev, a = −2, b = 2) with
        // stddev 0.1, except the auxiliary fc's 0.001. (torchvision also sets 0.01 on AuxLogits.conv1,
        // but on the BasicConv2d, not its Conv2d, so the loop gives that conv 0.1 too.) BN 1/0.
        if initWeights {
            let auxFC = self.auxLogits?.fc
            initializeTruncatedNormalLikeTorchvision(convStd: 0.1) { $0 === auxFC ? 0.001 : 0.1 }
        }
    }

    public override var summary: String { "Inception3" }

    /// The main logits and, in training mode, the auxiliary head's (see `InceptionOutputs`).
    public func forwardWithAuxiliary(_ input: Tensor) -> InceptionOutputs {
        guard input.rank == 4, input.shape[1] == 3 else { inputError("expected input [N, 3, H, W], got \(describe(input.shape))") }
        var x = transformInput ? transformInputLikeTorchvision(input) : input
        for (_, m) in stem { x = m(x) }                      // N × 192 × 35 × 35 (for 299 × 299)
        for m in mixed5 { x = m(x) }                         // N × 288 × 35 × 35
        x = mixed6a(x)                                       // N × 768 × 17 × 17
        for m in mixed6 { x = m(x) }
        let aux = isTraining ? auxLogits?(x) : nil
        x = mixed7a(x)                                       // N × 1280 × 8 × 8
        for m in mixed7 { x = m(x) }                         // N × 2048 × 8 × 8
        let logits = fc(dropout(x.adaptiveAvgPool2d((1, 1))).flatten(startDim: 1))
        return InceptionOutputs(logits: logits, auxLogits: aux)
    }

    /// The main logits, [N, classes] (the auxiliary head still runs in training mode, as in torchvision).
    public override func forward(_ x: Tensor) -> Tensor { forwardWithAuxiliary(x).logits }
}

extension InceptionV3: ClassifierHeads {
    /// The auxiliary head's linear and `fc`.
    public var classifierHeadPaths: [String] { (auxLogits == nil ? [] : ["AuxLogits.fc"]) + ["fc"] }
}

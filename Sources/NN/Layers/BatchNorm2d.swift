import Tensors

/// Batch normalisation over channels of an (N, C, H, W) input (PyTorch's `nn.BatchNorm2d`; also
/// accepts (N, C) like `BatchNorm1d`). Buffers `running_mean`, `running_var` and
/// `num_batches_tracked` are saved in the state dict under PyTorch's names.
public final class BatchNorm2d: Module, @unchecked Sendable {
    public let numFeatures: Int
    public let eps: Float
    /// Weight of the newest batch in the running statistics; `nil` means a cumulative average.
    public let momentum: Float?
    public let weight: Parameter?, bias: Parameter?
    public let runningMean: Buffer?, runningVar: Buffer?, numBatchesTracked: Buffer?
    /// Set when folded into the preceding conv: evaluation mode then passes the input through.
    var isFoldedIntoConv = false
    /// In a data-parallel run with synchronised batch norm (`SyncBatchNorm`), sums the training-mode
    /// statistics over every process; nil (the default, DDP's): each process normalises with its
    /// own batch's statistics. Evaluation mode never synchronises.
    public var statisticsSync: (any CrossProcessSum)?

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        self.numFeatures = numFeatures; self.eps = eps; self.momentum = momentum
        weight = affine ? Parameter(.ones([numFeatures])) : nil
        bias = affine ? Parameter(.zeros([numFeatures])) : nil
        runningMean = trackRunningStats ? Buffer(.zeros([numFeatures])) : nil
        runningVar = trackRunningStats ? Buffer(.ones([numFeatures])) : nil
        numBatchesTracked = trackRunningStats ? Buffer(Tensor(scalar: 0)) : nil
        super.init()
        if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
        if let runningMean, let runningVar, let numBatchesTracked {
            registerBuffer("running_mean", runningMean)
            registerBuffer("running_var", runningVar)
            registerBuffer("num_batches_tracked", numBatchesTracked)
        }
    }

    public override var summary: String { "BatchNorm2d(\(numFeatures), eps=\(eps), momentum=\(momentum.map { "\($0)" } ?? "None"))" }

    override func clearFolding() { isFoldedIntoConv = false }

    public override func forward(_ input: Tensor) -> Tensor {
        guard input.rank == 4 || input.rank == 2, input.shape[1] == numFeatures else {
            inputError("expected input [N, \(numFeatures), H, W], got \(describe(input.shape))")
        }
        if isFoldedIntoConv && !isTraining { return input }
        let useBatchStats = isTraining || runningMean == nil
        var factor = momentum ?? 0
        if isTraining, let counter = numBatchesTracked {
            counter.value = Tensor(scalar: counter.value.item() + 1)
            if momentum == nil { factor = 1 / counter.value.item() }
        }
        if useBatchStats && input.count / numFeatures <= 1 {
            inputError("expected more than 1 value per channel when training, got input \(describe(input.shape))")
        }
        var rm = runningMean?.value, rv = runningVar?.value
        let out = Tensor.batchNorm(input, runningMean: &rm, runningVar: &rv, weight: weight?.value, bias: bias?.value,
                                   training: useBatchStats, momentum: factor, eps: eps,
                                   sync: isTraining ? statisticsSync : nil)
        if isTraining, let rm, let rv { runningMean?.value = rm; runningVar?.value = rv }
        return out
    }
}

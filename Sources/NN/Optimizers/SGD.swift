// Stochastic gradient descent with PyTorch's exact update (torch.optim.SGD, single-tensor path):
//   g = ±grad + weightDecay·w
//   b = g on the first step, else momentum·b + (1 − dampening)·g        (if momentum ≠ 0)
//   d = g + momentum·b (nesterov) or b (or g without momentum)
//   w = w − lr·d
// Each parameter is updated by one loop over its raw buffer, its gradient and its momentum buffer,
// in Float with the coefficients rounded from Double as PyTorch rounds its Python scalars.

import Tensors

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
/// (PyTorch's `torch.optim.SGD`).
public final class SGD: Optimizer, MomentumScheduled, @unchecked Sendable {
    public let parameters: [Parameter]
    public var lr: Double
    public var initialLR: Double?
    public var momentum: Double
    public var dampening: Double
    public var weightDecay: Double
    public var nesterov: Bool
    /// Ascend the objective instead of descending it.
    public var maximize: Bool
    /// Momentum buffers, one per parameter (nil until the parameter's first step with momentum).
    public private(set) var momentumBuffers: [Tensor?]

    public init(_ parameters: [Parameter], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false) {
        requireHyperparameter(lr >= 0, "SGD: invalid learning rate \(lr)")
        requireHyperparameter(momentum >= 0, "SGD: invalid momentum value \(momentum)")
        requireHyperparameter(weightDecay >= 0, "SGD: invalid weight_decay value \(weightDecay)")
        requireHyperparameter(!nesterov || (momentum > 0 && dampening == 0),
                              "SGD: Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.lr = lr; self.momentum = momentum; self.dampening = dampening
        self.weightDecay = weightDecay; self.nesterov = nesterov; self.maximize = maximize
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    public var scheduledMomentum: Double {
        get { momentum }
        set { momentum = newValue }
    }

    public func step() {
        let sign: Float = maximize ? -1 : 1
        let wd = Float(weightDecay), mom = Float(momentum), keep = Float(1 - dampening), negLR = Float(-lr)
        let useMomentum = momentum != 0, nesterov = nesterov
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let first = useMomentum && momentumBuffers[i] == nil
            var buffer = useMomentum ? (momentumBuffers[i] ?? Tensor(uninitializedShape: p.shape)) : Tensor(scalar: 0)
            momentumBuffers[i] = nil  // so the buffer's storage is uniquely referenced while we write it
            grad.withUnsafeBufferPointer { g in
                buffer.withUnsafeMutableBufferPointer { b in
                    p.value.withUnsafeMutableBufferPointer { w in
                        let n = w.count
                        let (g, b, w) = (g.baseAddress!, b.baseAddress!, w.baseAddress!)
                        Threading.parallelFor(n) { s, e in
                            // weightDecay 0 adds 0·w, which changes nothing for finite values; the
                            // momentum cases are separate loops so each one vectorises.
                            @inline(__always) func run(_ momentumCase: Int) {
                                var k = s
                                while k < e {
                                    var d = sign * g[k] + wd * w[k]
                                    if momentumCase != 0 {
                                        let bk = momentumCase == 1 ? d : b[k] * mom + keep * d
                                        b[k] = bk
                                        d = nesterov ? d + mom * bk : bk
                                    }
                                    w[k] = w[k] + negLR * d
                                    k &+= 1
                                }
                            }
                            switch (useMomentum, first) {
                            case (false, _): run(0)
                            case (true, true): run(1)
                            case (true, false): run(2)
                            }
                        }
                    }
                }
            }
            if useMomentum { momentumBuffers[i] = buffer }
        }
    }

    public func stateDict() -> OptimizerState {
        var s = OptimizerState(kind: "SGD")
        s.scalars = OptimizerState.common(self) + [("momentum", momentum),
                     ("dampening", dampening), ("weight_decay", weightDecay), ("nesterov", nesterov ? 1 : 0),
                     ("maximize", maximize ? 1 : 0)]
        for (i, b) in momentumBuffers.enumerated() {
            if let b { s.tensors.append(("\(i).momentum_buffer", b)) }
        }
        return s
    }

    public func loadStateDict(_ state: OptimizerState) throws {
        try state.validate(kind: "SGD", parameterCount: parameters.count)
        var buffers: [Tensor?] = []
        for (i, p) in parameters.enumerated() { buffers.append(try state.tensor("\(i).momentum_buffer", shape: p.shape)) }
        lr = try state.requireScalar("lr")
        initialLR = state.scalar("initial_lr")
        momentum = try state.requireScalar("momentum")
        dampening = try state.requireScalar("dampening")
        weightDecay = try state.requireScalar("weight_decay")
        nesterov = try state.requireScalar("nesterov") != 0
        maximize = try state.requireScalar("maximize") != 0
        momentumBuffers = buffers
    }
}

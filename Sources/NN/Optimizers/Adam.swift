// Adam and AdamW with PyTorch's exact update (torch.optim.Adam / AdamW, single-tensor path), per
// element and in Float, with t the parameter's step count:
//   w = w·(1 − lr·λ)                               (AdamW: decoupled weight decay)
//   g = ±grad (+ λ·w for Adam's L2 weight decay)
//   m = lerp(m, g, 1 − β₁)                          (PyTorch's lerp formula, both branches)
//   v = β₂·v + (1 − β₂)·g·g ;  v̂max = max(v̂max, v) with amsgrad
//   w = w − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
// The bias corrections are computed in Double, as PyTorch does with Python floats, then rounded.
// One fused pass per parameter reads the gradient and updates w, m, v (and v̂max) in place, in
// explicit 8-lane SIMD (`adamLanes`): with five pointers the auto-vectoriser gives up, and the
// scalar loop's sqrt and division made it ~2× slower. Lane arithmetic is IEEE, so results equal
// the scalar formula's.

import Foundation
import Tensors

/// Per-parameter Adam state (PyTorch's `state[p]`).
public struct AdamParameterState: Sendable {
    /// Number of updates applied to this parameter.
    public var step: Int
    /// First-moment estimate `exp_avg`.
    public var expAvg: Tensor
    /// Second-moment estimate `exp_avg_sq`.
    public var expAvgSq: Tensor
    /// Running maximum of `exp_avg_sq` (amsgrad only).
    public var maxExpAvgSq: Tensor?
}

/// Adam (PyTorch's `torch.optim.Adam`): adaptive moments with L2 weight decay added to the gradient.
/// `AdamW` is the same update with decoupled weight decay.
public class Adam: Optimizer, MomentumScheduled, @unchecked Sendable {
    public let parameters: [Parameter]
    public var lr: Double
    public var initialLR: Double?
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    public var amsgrad: Bool
    /// Ascend the objective instead of descending it.
    public var maximize: Bool
    /// Whether weight decay scales the weights (AdamW) instead of adding to the gradient (Adam).
    public let decoupledWeightDecay: Bool
    /// State per parameter (nil until the parameter's first step).
    public private(set) var states: [AdamParameterState?]

    /// Adam with PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay).
    public convenience init(_ parameters: [Parameter], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false) {
        self.init(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                  maximize: maximize, decoupledWeightDecay: false)
    }

    init(_ parameters: [Parameter], lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double, amsgrad: Bool,
         maximize: Bool, decoupledWeightDecay: Bool) {
        let name = decoupledWeightDecay ? "AdamW" : "Adam"
        requireHyperparameter(lr >= 0, "\(name): invalid learning rate \(lr)")
        requireHyperparameter(eps >= 0, "\(name): invalid epsilon value \(eps)")
        requireHyperparameter(betas.0 >= 0 && betas.0 < 1, "\(name): invalid beta parameter at index 0: \(betas.0)")
        requireHyperparameter(betas.1 >= 0 && betas.1 < 1, "\(name): invalid beta parameter at index 1: \(betas.1)")
        requireHyperparameter(weightDecay >= 0, "\(name): invalid weight_decay value \(weightDecay)")
        self.parameters = parameters
        self.lr = lr; beta1 = betas.0; beta2 = betas.1; self.eps = eps; self.weightDecay = weightDecay
        self.amsgrad = amsgrad; self.maximize = maximize; self.decoupledWeightDecay = decoupledWeightDecay
        states = Array(repeating: nil, count: parameters.count)
    }

    /// "Adam" or "AdamW": the kind recorded in state dicts.
    public var kind: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    public var scheduledMomentum: Double {
        get { beta1 }
        set { beta1 = newValue }
    }

    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            var s = states[i] ?? AdamParameterState(step: 0, expAvg: .zeros(p.shape), expAvgSq: .zeros(p.shape),
                                                     maxExpAvgSq: amsgrad ? .zeros(p.shape) : nil)
            if amsgrad && s.maxExpAvgSq == nil { s.maxExpAvgSq = .zeros(p.shape) }
            states[i] = nil  // unique storage for the in-place writes below
            s.step += 1
            update(p, grad: grad, state: &s)
            states[i] = s
        }
    }

    /// One fused pass over a parameter, its gradient and its moments.
    private func update(_ p: Parameter, grad: Tensor, state s: inout AdamParameterState) {
        let t = Double(s.step)
        let biasCorrection1 = 1 - Foundation.pow(beta1, t)
        let biasCorrection2Sqrt = (1 - Foundation.pow(beta2, t)).squareRoot()
        let negStepSize = Float(-(lr / biasCorrection1))
        let decay = decoupledWeightDecay && weightDecay != 0 ? Float(1 - lr * weightDecay) : 1
        let l2 = decoupledWeightDecay ? 0 : Float(weightDecay)
        let lerpWeight = Float(1 - beta1)
        let c = AdamCoefficients(decay: decay, l2: l2, sign: maximize ? -1 : 1, lerpWeight: lerpWeight,
                                 lerpRest: 1 - lerpWeight, lerpLow: lerpWeight < 0.5, beta2: Float(beta2),
                                 oneMinusBeta2: Float(1 - beta2), biasCorrection2Sqrt: Float(biasCorrection2Sqrt),
                                 eps: Float(eps), negStepSize: negStepSize)
        let useMax = amsgrad
        var maxSq = s.maxExpAvgSq ?? Tensor(scalar: 0)
        s.maxExpAvgSq = nil
        grad.withUnsafeBufferPointer { gb in
            s.expAvg.withUnsafeMutableBufferPointer { mb in
                s.expAvgSq.withUnsafeMutableBufferPointer { vb in
                    maxSq.withUnsafeMutableBufferPointer { xb in
                        p.value.withUnsafeMutableBufferPointer { wb in
                            let n = wb.count
                            let (g, m, v, x, w) = (gb.baseAddress!, mb.baseAddress!, vb.baseAddress!, xb.baseAddress!, wb.baseAddress!)
                            Threading.parallelFor(n) { start, end in
                                var k = start
                                if useMax {
                                    while k &+ 8 <= end { adamLanes(SIMD8<Float>.self, k, g, m, v, x, w, c, amsgrad: true); k &+= 8 }
                                    adamTail(k, end, g, m, v, x, w, c, amsgrad: true)
                                } else {
                                    while k &+ 8 <= end { adamLanes(SIMD8<Float>.self, k, g, m, v, x, w, c, amsgrad: false); k &+= 8 }
                                    adamTail(k, end, g, m, v, x, w, c, amsgrad: false)
                                }
                            }
                        }
                    }
                }
            }
        }
        if useMax { s.maxExpAvgSq = maxSq }
    }

    // MARK: State dict

    public func stateDict() -> OptimizerState {
        var out = OptimizerState(kind: kind)
        out.scalars = OptimizerState.common(self) + [("beta1", beta1), ("beta2", beta2),
                       ("eps", eps), ("weight_decay", weightDecay), ("amsgrad", amsgrad ? 1 : 0),
                       ("maximize", maximize ? 1 : 0)]
        for (i, s) in states.enumerated() {
            guard let s else { continue }
            out.scalars.append(("\(i).step", Double(s.step)))
            out.tensors.append(("\(i).exp_avg", s.expAvg))
            out.tensors.append(("\(i).exp_avg_sq", s.expAvgSq))
            if let x = s.maxExpAvgSq { out.tensors.append(("\(i).max_exp_avg_sq", x)) }
        }
        return out
    }

    public func loadStateDict(_ state: OptimizerState) throws {
        try state.validate(kind: kind, parameterCount: parameters.count)
        var loaded: [AdamParameterState?] = []
        for (i, p) in parameters.enumerated() {
            guard let step = state.scalar("\(i).step") else { loaded.append(nil); continue }
            guard let m = try state.tensor("\(i).exp_avg", shape: p.shape),
                  let v = try state.tensor("\(i).exp_avg_sq", shape: p.shape) else {
                throw OptimizerStateError("\(kind) state for parameter \(i) has a step but no exp_avg / exp_avg_sq")
            }
            loaded.append(AdamParameterState(step: Int(step), expAvg: m, expAvgSq: v,
                                             maxExpAvgSq: try state.tensor("\(i).max_exp_avg_sq", shape: p.shape)))
        }
        lr = try state.requireScalar("lr")
        initialLR = state.scalar("initial_lr")
        beta1 = try state.requireScalar("beta1")
        beta2 = try state.requireScalar("beta2")
        eps = try state.requireScalar("eps")
        weightDecay = try state.requireScalar("weight_decay")
        amsgrad = try state.requireScalar("amsgrad") != 0
        maximize = try state.requireScalar("maximize") != 0
        states = loaded
    }
}

/// The per-step constants of an Adam update, rounded to Float as PyTorch rounds its scalars.
struct AdamCoefficients {
    /// AdamW's 1 − lr·λ (1 for Adam).
    var decay: Float
    /// Adam's L2 weight decay λ (0 for AdamW).
    var l2: Float
    /// −1 when maximising.
    var sign: Float
    var lerpWeight: Float, lerpRest: Float, lerpLow: Bool
    var beta2: Float, oneMinusBeta2: Float
    var biasCorrection2Sqrt: Float, eps: Float
    /// −lr / (1 − β₁ᵗ).
    var negStepSize: Float
}

/// Updates elements k..<k+N of w, m, v (and x = max v with amsgrad) from g: the Adam step of the
/// file header, in SIMD lanes (lane arithmetic is IEEE, so results equal the scalar loop's).
/// Explicit SIMD because five possibly aliasing pointers defeat the auto-vectoriser.
@inline(__always)
func adamLanes<V: SIMD>(_: V.Type, _ k: Int, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                        _ v: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                        _ w: UnsafeMutablePointer<Float>, _ c: AdamCoefficients, amsgrad: Bool)
where V.Scalar == Float {
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p + k).loadUnaligned(as: V.self) }
    @inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> V { load(UnsafePointer(p)) }
    @inline(__always) func store(_ value: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p + k).storeBytes(of: value, as: V.self) }
    let wk = load(w) * c.decay
    let gk = c.sign * load(g) + c.l2 * wk
    let m0 = load(m)
    // torch.lerp(m, g, weight): m + weight·(g − m) for weight < 0.5, else g − (g − m)·(1 − weight).
    let mk = c.lerpLow ? m0 + c.lerpWeight * (gk - m0) : gk - (gk - m0) * c.lerpRest
    store(mk, m)
    var vk = load(v) * c.beta2 + c.oneMinusBeta2 * gk * gk
    store(vk, v)
    if amsgrad {
        vk = pointwiseMax(load(x), vk)
        store(vk, x)
    }
    store(wk + c.negStepSize * mk / (vk.squareRoot() / c.biasCorrection2Sqrt + c.eps), w)
}

/// The last `end − k` (< 8) elements: copied into zero-padded lanes, updated, copied back.
@inline(never)
func adamTail(_ k: Int, _ end: Int, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
              _ v: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>,
              _ c: AdamCoefficients, amsgrad: Bool) {
    let n = end - k
    if n <= 0 { return }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 40) { lanes in
        let base = lanes.baseAddress!
        base.initialize(repeating: 0, count: 40)
        let (tg, tm, tv, tx, tw) = (base, base + 8, base + 16, base + 24, base + 32)
        tg.update(from: g + k, count: n)
        tm.update(from: m + k, count: n)
        tv.update(from: v + k, count: n)
        if amsgrad { tx.update(from: x + k, count: n) }
        tw.update(from: w + k, count: n)
        adamLanes(SIMD8<Float>.self, 0, UnsafePointer(tg), tm, tv, tx, tw, c, amsgrad: amsgrad)
        (m + k).update(from: tm, count: n)
        (v + k).update(from: tv, count: n)
        if amsgrad { (x + k).update(from: tx, count: n) }
        (w + k).update(from: tw, count: n)
    }
}

// The optimizer interface and its exportable state.
//
// An optimizer holds references to the parameters it updates (in `module.parameters()` order) and
// one hyper-parameter group, whose learning rate schedulers set through `lr`. Updates run in place
// over raw buffers (one fused loop per parameter, see SGD.swift and Adam.swift); `Parameter.value`
// is copy-on-write, so a state dict taken earlier keeps its values.
//
// State export mirrors PyTorch's `optimizer.state_dict()`: per-parameter tensors named
// "<index>.<name>" (PyTorch's `state[index][name]`, e.g. "0.momentum_buffer", "3.exp_avg"), and
// scalars for the hyper-parameters ("lr", "initial_lr" once a scheduler set it, "momentum",
// "beta1", ...) and per-parameter step counts ("3.step"). Loading restores both, so training resumes exactly.

import Tensors
import Traps

/// A gradient-descent optimizer over a fixed list of parameters (PyTorch's `torch.optim.Optimizer`
/// with a single parameter group).
public protocol Optimizer: AnyObject, Sendable {
    /// The parameters updated by `step()`, in the order given at construction.
    var parameters: [Parameter] { get }
    /// The learning rate; LR schedulers set it before each step.
    var lr: Double { get set }
    /// The LR a schedule starts from, recorded by the first scheduler attached (PyTorch's
    /// `param_groups[0]["initial_lr"]`); nil until then.
    var initialLR: Double? { get set }
    /// Applies one update to every parameter that has a gradient (parameters without one are skipped,
    /// and their state does not advance), as PyTorch does.
    func step()
    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    func zeroGrad()
    /// The optimizer's state: hyper-parameters, step counts and per-parameter buffers.
    func stateDict() -> OptimizerState
    /// Restores a state from `stateDict()`; throws if it belongs to another optimizer type or to
    /// parameters of other shapes.
    func loadStateDict(_ state: OptimizerState) throws
}

extension Optimizer {
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// An optimizer with a momentum term that a scheduler may cycle (OneCycleLR): SGD's `momentum`,
/// Adam's `beta1`.
public protocol MomentumScheduled: Optimizer {
    /// SGD's momentum or Adam's β₁.
    var scheduledMomentum: Double { get set }
}

/// An optimizer's state as named tensors and scalars, for checkpoints.
public struct OptimizerState: Sendable {
    /// The optimizer type ("SGD", "Adam", "AdamW").
    public var kind: String
    /// Per-parameter buffers named "<parameter index>.<name>", in parameter order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// Hyper-parameters and per-parameter step counts ("<parameter index>.step").
    public var scalars: [(name: String, value: Double)]

    public init(kind: String, tensors: [(name: String, tensor: Tensor)] = [], scalars: [(name: String, value: Double)] = []) {
        self.kind = kind; self.tensors = tensors; self.scalars = scalars
    }

    /// The tensor named `name`, if any.
    public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// The scalar named `name`, if any.
    public func scalar(_ name: String) -> Double? { scalars.first { $0.name == name }?.value }

    /// The scalar named `name`, or an error naming it.
    func requireScalar(_ name: String) throws -> Double {
        guard let v = scalar(name) else { throw OptimizerStateError("\(kind) state has no scalar '\(name)'") }
        return v
    }

    /// The tensor named `name` if present, checked against the parameter's shape.
    func tensor(_ name: String, shape: [Int]) throws -> Tensor? {
        guard let t = tensor(name) else { return nil }
        guard t.shape == shape else {
            throw OptimizerStateError("\(kind) state '\(name)' has shape \(describe(t.shape)), parameter has \(describe(shape))")
        }
        return t.detached()
    }

    /// Hyper-parameters every optimizer saves: parameter count, lr and (if set) initial_lr.
    static func common(_ optimizer: any Optimizer) -> [(name: String, value: Double)] {
        [("parameter_count", Double(optimizer.parameters.count)), ("lr", optimizer.lr)]
            + (optimizer.initialLR.map { [("initial_lr", $0)] } ?? [])
    }

    /// Checks the type and parameter count before a load.
    func validate(kind expected: String, parameterCount: Int) throws {
        guard kind == expected else { throw OptimizerStateError("cannot load \(kind) state into \(expected)") }
        let n = try requireScalar("parameter_count")
        guard Int(n) == parameterCount else {
            throw OptimizerStateError("\(kind) state is for \(Int(n)) parameters, optimizer has \(parameterCount)")
        }
    }
}

/// An optimizer state that does not fit the optimizer it is loaded into.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Checks hyper-parameters as PyTorch's constructors do (programmer errors trap).
@inline(__always)
func requireHyperparameter(_ ok: Bool, _ message: @autoclosure () -> String) {
    if !ok { trap(message()) }
}

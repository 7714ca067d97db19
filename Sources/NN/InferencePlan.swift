// Inference plans: an evaluation-mode model's forward pass compiled for one input shape.
//
// Design. What runs is the model's own forward: in evaluation mode with BatchNorm folded
// (`foldBatchNormsForInference`) every conv [→ BN] [→ residual add] [→ ReLU] is already one fused
// kernel pass, with weights packed (or Winograd-transformed) once per model, in NCHW throughout (the
// kernels' blocked layouts live inside each op, so there is no layout to carry between layers).
// What the plan adds is memory: its first run is an ordinary forward whose allocations are recorded
// (`ActivationArena`) and then placed in one arena sized to the peak of live activations; each
// later run hands every activation its planned place, so a plan allocates its activations once.
// The output is copied out of the arena. A run on another ISA path re-records; a run that
// allocates differently (a cache filled on the first run, say) falls back to the allocator for
// the rest and the next run re-records.

import Foundation
import Tensors

/// A compiled forward pass of an evaluation-mode module for one input shape, with its activations
/// allocated once (see the file header): the first run records, later runs replay. `run` is safe to
/// call from any thread; calls are serialised.
public final class InferencePlan: @unchecked Sendable {
    /// The input shape the plan is compiled for.
    public let inputShape: [Int]
    private let module: Module
    private struct Compiled {
        var layout: ActivationArena.Layout
        var arena: ActivationArena
        var isa: KernelISA
    }
    private struct State {
        var compiled: Compiled?
        var lastRunPlanned = false
    }
    private let lock = NSLock()
    private var state = State()

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// A plan of `module`'s forward pass for inputs of `inputShape`. The module must be in
    /// evaluation mode (`eval()`, or `foldBatchNormsForInference()` for the fused kernels).
    public init(_ module: Module, inputShape: [Int]) {
        precondition(!module.isTraining, "InferencePlan: \(module.summary) is in training mode; call eval() or foldBatchNormsForInference() first")
        self.module = module
        self.inputShape = inputShape
    }

    /// Bytes of the arena that holds the activations (0 before the first run).
    public var activationBytes: Int { withState { $0.compiled?.layout.bytes ?? 0 } }

    /// Whether the last run placed every activation in the arena (false for a recording run, and
    /// for a run that allocated differently from the recording, after which the plan re-records).
    public var lastRunWasPlanned: Bool { withState { $0.lastRunPlanned } }

    /// The module's output for `input` (of `inputShape`).
    public func run(_ input: Tensor) -> Tensor {
        precondition(input.shape == inputShape, "InferencePlan: compiled for input \(inputShape), given \(input.shape)")
        return withState { s in
            guard let compiled = s.compiled, compiled.isa == KernelISA.active else {
                // Record: an ordinary forward whose allocations are noted, then laid out.
                let isa = KernelISA.active
                let (output, layout) = ActivationArena.record { withNoGrad { module(input) } }
                s.compiled = Compiled(layout: layout, arena: ActivationArena(bytes: layout.bytes), isa: isa)
                s.lastRunPlanned = false
                return output
            }
            let (output, matched) = Self.replay(module, input, compiled.layout, compiled.arena)
            s.lastRunPlanned = matched
            if !matched {
                s.compiled = nil  // re-record on the next run (this one's extra buffers came from the allocator)
            } else if compiled.arena.liveBuffers != 0 {
                // A buffer of this run is still alive (kept by a cache): it keeps its arena; take a fresh one.
                s.compiled?.arena = ActivationArena(bytes: compiled.layout.bytes)
            }
            return output
        }
    }

    /// One replayed forward; the output is copied out of the arena after the replay (a copy made
    /// inside it would be one more planned allocation), and the arena's buffers are gone on return.
    private static func replay(_ module: Module, _ input: Tensor, _ layout: ActivationArena.Layout,
                               _ arena: ActivationArena) -> (Tensor, Bool) {
        let (planned, matched) = ActivationArena.replay(layout, in: arena) { withNoGrad { module(input) } }
        return (Tensor(shape: planned.shape, data: planned.scalars), matched)
    }
}

/// Plans for each input shape a module meets (an evaluation's last batch is smaller), compiled on
/// first use.
public final class InferencePlans: @unchecked Sendable {
    private let module: Module
    private let lock = NSLock()
    private var plans: [[Int]: InferencePlan] = [:]

    /// Plans for `module` (in evaluation mode).
    public init(_ module: Module) { self.module = module }

    /// The module's output for `input`, through the plan for its shape.
    public func run(_ input: Tensor) -> Tensor {
        lock.lock()
        let plan = plans[input.shape] ?? InferencePlan(module, inputShape: input.shape)
        plans[input.shape] = plan
        lock.unlock()
        return plan.run(input)
    }
}

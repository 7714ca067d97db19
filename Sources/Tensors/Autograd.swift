// Define-by-run reverse-mode autograd, as in PyTorch.
//
// Design: a tensor that requires a gradient carries a `GradNode`. A leaf's node holds its
// accumulated `.grad`; an op's node holds its input nodes and a backward closure mapping the
// output gradient to one gradient per input (already reduced to the input's shape). `backward()`
// orders the reachable nodes topologically (iterative DFS), seeds the root, and walks them in
// reverse, summing gradients where a tensor feeds several ops. Each closure is dropped right after
// it runs, which releases the activations it saved; a second backward through the same graph is
// therefore an error, as in PyTorch without `retain_graph`. Backward closures must capture their
// tensors `detached()`, so that no node refers to itself through a saved tensor. Nothing is recorded
// while gradients are disabled (`withNoGrad`) or when no input requires a gradient.

/// A node of the autograd graph.
public final class GradNode: @unchecked Sendable {
    /// The op that made the tensor (`"leaf"` for a leaf), for error messages.
    public let op: String
    @usableFromInline let inputs: [GradNode?]
    @usableFromInline var backwardFn: ((Tensor) -> [Tensor?])?
    /// A leaf's accumulated gradient.
    @usableFromInline var grad: Tensor?
    /// The gradient being summed for this node during one backward pass.
    var pending: Tensor?
    @usableFromInline let isLeaf: Bool

    @usableFromInline init(leaf: ()) {
        op = "leaf"; inputs = []; backwardFn = nil; isLeaf = true
    }

    @usableFromInline init(op: String, inputs: [GradNode?], backward: @escaping (Tensor) -> [Tensor?]) {
        self.op = op; self.inputs = inputs; self.backwardFn = backward; isLeaf = false
    }
}

/// Whether ops record the autograd graph on this thread or task.
public enum GradMode {
    @usableFromInline @TaskLocal static var disabled = false

    /// True unless inside `withNoGrad`.
    @inlinable public static var isEnabled: Bool { !disabled }
}

/// Runs `body` without recording any autograd graph (PyTorch's `torch.no_grad()`): results do not
/// require gradients and no activations are saved.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$disabled.withValue(true) { try body() }
}

extension Tensor {
    /// Whether gradients flow to this tensor. Setting it on a tensor makes it a leaf of the graph.
    public var requiresGrad: Bool {
        get { node != nil }
        set {
            if newValue {
                if node == nil { node = GradNode(leaf: ()) }
            } else {
                node = nil
            }
        }
    }

    /// Returns this tensor as a leaf that requires a gradient (PyTorch's `requires_grad_()`).
    public func requiringGrad() -> Tensor {
        var t = self
        t.requiresGrad = true
        return t
    }

    /// The accumulated gradient of a leaf tensor after `backward()`; `nil` for non-leaves.
    public var grad: Tensor? {
        get { node?.isLeaf == true ? node?.grad : nil }
        nonmutating set {
            guard let node, node.isLeaf else { return }
            node.grad = newValue
        }
    }

    /// Whether this tensor is a leaf (made by the user, not by an op that records a graph).
    public var isLeaf: Bool { node?.isLeaf ?? true }

    /// Clears the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() { grad = nil }

    /// The same data without autograd history (shares storage).
    @inlinable
    public func detached() -> Tensor {
        var t = self
        t.node = nil
        return t
    }

    /// Whether an op on these inputs would record an autograd node (grad mode on and one of them
    /// in a graph).
    @inlinable
    public static func recordsGradient(of inputs: Tensor...) -> Bool {
        guard GradMode.isEnabled else { return false }
        for t in inputs where t.node != nil { return true }
        return false
    }

    /// Whether an op with these inputs must record a node.
    @inlinable
    static func shouldRecord(_ inputs: Tensor...) -> Bool {
        guard GradMode.isEnabled else { return false }
        for t in inputs where t.node != nil { return true }
        return false
    }

    /// Attaches an op node to this freshly computed output.
    @inlinable
    mutating func record(_ op: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        node = GradNode(op: op, inputs: inputs.map(\.node), backward: backward)
    }

    /// Identifies this tensor's node in the autograd graph (nil without one): the key `backward`'s
    /// `leafReady` callback reports a leaf by. A parameter keeps its key while its value is not replaced.
    public var gradientKey: ObjectIdentifier? { node.map(ObjectIdentifier.init) }

    /// Computes gradients of this tensor with respect to every leaf that requires one, accumulating
    /// them into the leaves' `grad`. Without `gradient`, the tensor must hold a single element (the
    /// seed is 1). Throws if the tensor does not require a gradient, the seed's shape differs, or the
    /// graph was already used by an earlier backward.
    /// - Parameter leafReady: called, during the pass, with a leaf's `gradientKey` and its
    ///   accumulated gradient as soon as that gradient is final (every op that uses the leaf has
    ///   run), in the order the leaves complete; data-parallel training starts reducing gradients
    ///   there while the rest of backward still runs (as DDP's reducer hooks do).
    public func backward(gradient: Tensor? = nil, leafReady: ((ObjectIdentifier, Tensor) -> Void)? = nil) throws(TensorError) {
        guard let root = node else {
            throw TensorError("backward() on a tensor of shape \(describe(shape)) that does not require grad and has no grad_fn")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError("backward(gradient:): gradient shape \(describe(gradient.shape)) does not match tensor shape \(describe(shape))")
            }
            seed = gradient.detached()
        } else {
            guard count == 1 else {
                throw TensorError("backward() without a gradient needs a scalar output, got shape \(describe(shape)); pass gradient:")
            }
            seed = Tensor.ones(shape)
        }
        let order = Self.topologicalOrder(from: root)
        for n in order where !n.isLeaf && n.backwardFn == nil {
            throw TensorError("backward through the graph a second time (op \(n.op)): its saved tensors were already freed")
        }
        root.pending = seed
        withNoGrad {
            for n in order.reversed() {
                guard let g = n.pending else { continue }
                n.pending = nil
                if n.isLeaf {
                    let total = n.grad.map { $0 + g } ?? g
                    n.grad = total
                    leafReady?(ObjectIdentifier(n), total)
                    continue
                }
                guard let fn = n.backwardFn else { continue }
                n.backwardFn = nil
                let grads = fn(g)
                for (input, gi) in zip(n.inputs, grads) {
                    guard let input, let gi else { continue }
                    input.pending = input.pending.map { $0 + gi } ?? gi
                }
            }
        }
    }

    /// Nodes reachable from `root` in DFS post-order: every node after all of its inputs.
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack: [(node: GradNode, next: Int)] = [(root, 0)]
        while let (n, i) = stack.popLast() {
            if i < n.inputs.count {
                stack.append((n, i + 1))
                if let child = n.inputs[i], visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(n)
            }
        }
        return order
    }
}

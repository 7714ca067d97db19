// Parameters and buffers: the tensors a module owns, held by reference so that the module, its
// optimizer and its state dict all see one value.

import Tensors

/// A trainable tensor owned by a module. Optimizers update `value` in place (under `withNoGrad`);
/// `value` is always a leaf, requiring a gradient unless the parameter is frozen.
public final class Parameter: @unchecked Sendable {
    /// The current value (a leaf; it requires a gradient exactly when `requiresGrad` is true).
    public var value: Tensor {
        didSet { if value.requiresGrad != requiresGrad || !value.isLeaf { value = Self.leaf(value, requiresGrad) } }
    }

    /// Whether backward computes a gradient for this parameter (PyTorch's `requires_grad`). A frozen
    /// parameter (false) gets no gradient, so optimizers leave it as it is and backward does not
    /// differentiate the layers that only frozen parameters and their inputs feed; setting it clears
    /// the gradient.
    public var requiresGrad = true {
        didSet {
            guard requiresGrad != oldValue else { return }
            value = Self.leaf(value, requiresGrad)
        }
    }

    /// Creates a parameter holding a copy-on-write share of `tensor`, detached from any graph.
    public init(_ tensor: Tensor) { value = tensor.detached().requiringGrad() }

    private static func leaf(_ tensor: Tensor, _ requiresGrad: Bool) -> Tensor {
        requiresGrad ? tensor.detached().requiringGrad() : tensor.detached()
    }

    /// The gradient accumulated by the last `backward()` calls, if any.
    public var grad: Tensor? {
        get { value.grad }
        set { value.grad = newValue }
    }

    /// The parameter's shape.
    public var shape: [Int] { value.shape }

    /// Clears the gradient.
    public func zeroGrad() { value.zeroGrad() }
}

/// A non-trainable tensor owned by a module and saved in its state dict (e.g. BatchNorm's running
/// statistics).
public final class Buffer: @unchecked Sendable {
    /// The current value.
    public var value: Tensor
    public init(_ tensor: Tensor) { value = tensor.detached() }
}

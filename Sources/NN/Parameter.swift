// Parameters and buffers: the tensors a module owns, held by reference so that the module, its
// optimizer and its state dict all see one value.

import Tensors

/// A trainable tensor owned by a module. Optimizers update `value` in place (under `withNoGrad`);
/// `value` is always a leaf that requires a gradient.
public final class Parameter: @unchecked Sendable {
    /// The current value (a leaf requiring a gradient).
    public var value: Tensor {
        didSet { if !value.requiresGrad || !value.isLeaf { value = value.detached().requiringGrad() } }
    }

    /// Creates a parameter holding a copy-on-write share of `tensor`, detached from any graph.
    public init(_ tensor: Tensor) { value = tensor.detached().requiringGrad() }

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

import Tensors

/// Runs its children in order (PyTorch's `nn.Sequential`); children are named "0", "1", ... so
/// state-dict keys read `features.0.weight`.
public final class Sequential: Module, @unchecked Sendable {
    public private(set) var layers: [Module] = []

    public init(_ layers: [Module]) {
        super.init()
        for l in layers { append(l) }
    }

    public convenience init(_ layers: Module...) { self.init(layers) }

    /// Appends a layer under the next index.
    public func append(_ layer: Module) {
        registerModule(String(layers.count), layer)
        layers.append(layer)
    }

    /// The layer at `index`.
    public subscript(index: Int) -> Module { layers[index] }

    /// Number of layers.
    public var count: Int { layers.count }

    /// Replaces the layer at `index` (e.g. a new classifier head for fine-tuning).
    public func replace(at index: Int, with layer: Module) {
        registerModule(String(index), layer)
        layers[index] = layer
    }

    /// Adjacent Conv2d → BatchNorm2d layers.
    public override var convBatchNormPairs: [(Conv2d, BatchNorm2d)] {
        zip(layers, layers.dropFirst()).compactMap { a, b in
            guard let conv = a as? Conv2d, let bn = b as? BatchNorm2d else { return nil }
            return (conv, bn)
        }
    }

    public override var summary: String { "Sequential(\(layers.count) layers)" }

    public override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

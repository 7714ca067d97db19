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

    /// Runs the layers in order; each Conv2d [→ BatchNorm2d] [→ ReLU] run goes through
    /// `Conv2d.forward(_:then:activation:)`, one fused kernel pass in evaluation mode once the
    /// norms are folded, the separate layers otherwise. A run with a layer a `FeatureExtractor`
    /// watches calls its layers one by one, so that layer's own output exists.
    public override func forward(_ input: Tensor) -> Tensor {
        var x = input
        var i = 0
        while i < layers.count {
            guard let conv = layers[i] as? Conv2d else {
                x = layers[i](x)
                i += 1
                continue
            }
            var next = i + 1
            let norm = next < layers.count ? layers[next] as? BatchNorm2d : nil
            if norm != nil { next += 1 }
            let relu = next < layers.count && layers[next] is ReLU
            if relu { next += 1 }
            if layers[i..<next].contains(where: { $0.outputObserver != nil }) {
                for layer in layers[i..<next] { x = layer(x) }
            } else {
                x = conv.forward(x, then: norm, activation: relu ? .relu : .none)
            }
            i = next
        }
        return x
    }
}

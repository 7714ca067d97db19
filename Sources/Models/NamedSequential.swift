// torchvision's `nn.Sequential(OrderedDict(...))`: children under chosen names, run in order.

import NN
import Tensors

/// Runs its children in order, like `Sequential`, but under the names it is given (state-dict keys
/// such as `trunk_output.block1.block1-0.f.a.0.weight` rather than `0`, `1`, ...).
public final class NamedSequential: Module, @unchecked Sendable {
    public let layers: [Module]

    public init(_ named: [(String, Module)]) {
        layers = named.map(\.1)
        super.init()
        for (name, layer) in named { registerModule(name, layer) }
    }

    public override var summary: String { "Sequential(\(layers.count) named layers)" }

    public override func forward(_ input: Tensor) -> Tensor { layers.reduce(input) { x, layer in layer(x) } }
}

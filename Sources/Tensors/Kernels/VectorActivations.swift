// SiLU, sigmoid and exact GELU on CKernels' vectors (activation_impl.h): the elementwise passes
// of EfficientNet, RegNet-Y and ConvNeXt, which the scalar libm calls (expf, erff) made a third
// of those models' time.

import CKernels

/// The transcendental activations CKernels vectorises.
@usableFromInline enum VectorActivation: Int32 {
    case silu, sigmoid, gelu

    @usableFromInline var code: Int32 {
        switch self {
        case .silu: Int32(VK_ACTIVATION_SILU)
        case .sigmoid: Int32(VK_ACTIVATION_SIGMOID)
        case .gelu: Int32(VK_ACTIVATION_GELU)
        }
    }
}

/// Elements per chunk when a run is split across threads: these cost ~10× a plain add.
private let activationGrain = 1 << 13

/// f(input) elementwise (input contiguous).
func vectorActivation(_ input: Tensor, _ kind: VectorActivation) -> Tensor {
    var out = Tensor(uninitializedShape: input.shape)
    let src = UnsafePointer(input.storage.base + input.offset)
    let dst = out.storage.base
    let isa = KernelISA.active.code, code = kind.code
    withExtendedLifetime(input) {
        Threading.parallelFor(input.count, grain: activationGrain) { start, end in
            vk_activation_forward(isa, code, src + start, dst + start, end - start)
        }
    }
    out.node = nil
    return out
}

/// g · f′(x) elementwise (g and x contiguous, of one shape).
func vectorActivationGradient(_ g: Tensor, _ x: Tensor, _ kind: VectorActivation) -> Tensor {
    precondition(g.shape == x.shape, "activation gradient: \(g.shape) against \(x.shape)")
    var out = Tensor(uninitializedShape: x.shape)
    let pg = UnsafePointer(g.storage.base + g.offset)
    let px = UnsafePointer(x.storage.base + x.offset)
    let dst = out.storage.base
    let isa = KernelISA.active.code, code = kind.code
    withExtendedLifetime((g, x)) {
        Threading.parallelFor(x.count, grain: activationGrain) { start, end in
            vk_activation_gradient(isa, code, pg + start, px + start, dst + start, end - start)
        }
    }
    out.node = nil
    return out
}

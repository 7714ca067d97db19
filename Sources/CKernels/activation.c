// SiLU, sigmoid and exact GELU over contiguous runs, forward and gradient, on the ISA's widest
// vectors (activation_impl.h has the math). One thread per call; the caller splits long runs.
#include "internal.h"

static const vk_activation_impl *activation_impl_for(int isa) {
    const vk_impl *im = vk_impl_for(isa);
#if defined(__x86_64__)
    if (im == &vk_impl_avx512) return &vk_activation_avx512;
    if (im == &vk_impl_avx2) return &vk_activation_avx2;
#endif
    (void)im;
    return &vk_activation_portable;
}

void vk_activation_forward(int isa, int kind, const float *x, float *y, long n) {
    if (n > 0) activation_impl_for(isa)->forward(kind, x, y, n);
}

void vk_activation_gradient(int isa, int kind, const float *g, const float *x, float *dx, long n) {
    if (n > 0) activation_impl_for(isa)->gradient(kind, g, x, dx, n);
}

// Max pooling with 2×2 windows and stride 2 (no padding): the dispatch and the portable kernel.
//
// Design. PyTorch's position rule is a row-major scan with a strict '>' where the first NaN wins:
// within a row the left tap unless the right one is larger (or the first NaN), then the top row's
// pick unless the bottom row's is larger (or NaN). The vector kernels (pool_avx512.c, pool_avx2.c)
// apply the same three comparisons lane-wise to the even and odd columns of two input rows. (The
// backward stays the generic zero-and-scatter: writing all four taps per window, 2026-12-02 on a
// Zen 5, was 3× slower than memset's streaming zeroing plus one store per window.)
#include "internal.h"
#include <math.h>

/// Whether `b` replaces `a` as the running maximum: larger, or the first NaN.
static inline int takes(float b, float a) { return b > a || (isnan(b) && !isnan(a)); }

void vk_max_pool2x2_rows_portable(const float *x, float *y, int *indices, long W, long OW, long oh0, long oh1) {
    for (long oh = oh0; oh < oh1; oh++) {
        const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
        for (long ow = 0; ow < OW; ow++) {
            long at = 2 * ow;
            float a = r0[at], b = r0[at + 1], c = r1[at], d = r1[at + 1];
            int t0 = takes(b, a), t1 = takes(d, c);
            float m0 = t0 ? b : a, m1 = t1 ? d : c;
            int t = takes(m1, m0);
            y[oh * OW + ow] = t ? m1 : m0;
            if (indices) indices[oh * OW + ow] = (int)(2 * oh * W + at + (t ? W + t1 : t0));
        }
    }
}

void vk_max_pool2x2(int isa, const float *x, float *y, int *indices, long H, long W, long OH, long OW) {
    (void)H;
#if defined(__x86_64__)
    if (isa == VK_ISA_AVX512 && vk_isa_supported(isa)) { vk_max_pool2x2_avx512(x, y, indices, W, OH, OW); return; }
    if (isa == VK_ISA_AVX2 && vk_isa_supported(isa)) { vk_max_pool2x2_avx2(x, y, indices, W, OH, OW); return; }
#endif
    (void)isa;
    vk_max_pool2x2_rows_portable(x, y, indices, W, OW, 0, OH);
}

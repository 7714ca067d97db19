// Layer normalisation of contiguous rows (F.layer_norm over the last dimension: ConvNeXt's
// channels-last blocks, the transformers' tokens) on the ISA's vectors; layernorm_impl.h has the
// passes. One thread per call; the caller splits the rows.
#include "internal.h"

typedef void (*ln_rows_fn)(const float *, float *, long, long, const float *, const float *, float, float *, float *);

void vk_layer_norm_rows_portable(const float *x, float *y, long rows, long d, const float *gamma, const float *beta,
                                 float eps, float *mean, float *rstd);
#if defined(__x86_64__)
void vk_layer_norm_rows_avx2(const float *x, float *y, long rows, long d, const float *gamma, const float *beta,
                             float eps, float *mean, float *rstd);
void vk_layer_norm_rows_avx512(const float *x, float *y, long rows, long d, const float *gamma, const float *beta,
                               float eps, float *mean, float *rstd);
#endif

void vk_layer_norm_rows(int isa, const float *x, float *y, long rows, long d, const float *gamma, const float *beta,
                        float eps, float *mean, float *rstd) {
    if (rows <= 0 || d <= 0) return;
    const vk_impl *im = vk_impl_for(isa);
    ln_rows_fn fn = vk_layer_norm_rows_portable;
#if defined(__x86_64__)
    if (im == &vk_impl_avx512) fn = vk_layer_norm_rows_avx512;
    else if (im == &vk_impl_avx2) fn = vk_layer_norm_rows_avx2;
#endif
    (void)im;
    fn(x, y, rows, d, gamma, beta, eps, mean, rstd);
}

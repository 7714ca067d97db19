// Portable GEMM micro-kernel (4 rows × 16 columns of plain C that compilers vectorise for the
// baseline ISA: SSE2 on x86-64, NEON on aarch64), the scalar tile store shared by every ISA's edge
// tiles, and the portable FMA loop.
#include "internal.h"

#define MR 4
#define NR 16

void vk_store_tile_scalar(const float *tmp, long ld, float *c, long ldc, int mr, int nr, int accumulate,
                          const float *bias, const float *residual, long ldr, int activation) {
    // Branch-free inner loops (the flags are hoisted) so that each vectorises.
    for (int i = 0; i < mr; i++) {
        float *restrict ci = c + i * ldc;
        const float *restrict ti = tmp + i * ld;
        const float bi = bias ? bias[i] : 0.0f;
        if (accumulate) for (int j = 0; j < nr; j++) ci[j] = ti[j] + ci[j] + bi;
        else for (int j = 0; j < nr; j++) ci[j] = ti[j] + bi;
        if (residual) {
            const float *restrict ri = residual + i * ldr;
            for (int j = 0; j < nr; j++) ci[j] += ri[j];
        }
        if (activation == VK_ACT_RELU)
            for (int j = 0; j < nr; j++) ci[j] = ci[j] < 0.0f ? 0.0f : ci[j];  // NaN stays NaN, as torch.relu
    }
}

static void tile_portable(long kc, const float *restrict a, const float *restrict b, float *c, long ldc, int mr, int nr,
                          int accumulate, const float *bias, const float *residual, long ldr, int activation) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = 0.0f;
    for (long k = 0; k < kc; k++) {
        for (int i = 0; i < MR; i++) {
            float ai = a[i];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
        }
        a += MR;
        b += NR;
    }
    vk_store_tile_scalar(&acc[0][0], NR, c, ldc, mr, nr, accumulate, bias, residual, ldr, activation);
}

/// The NR × NR square `src` (row stride NR) transposed into rows [0, rows) of `dst` (row stride NR).
static void transpose_portable(const float *src, float *dst, int rows) {
    for (int t = 0; t < rows; t++)
        for (int j = 0; j < NR; j++) dst[t * NR + j] = src[j * NR + t];
}

/// Packs `rows` (≤ MR) rows × kc of `a` (row stride lda) into one MR-row panel (zero rows past `rows`).
void vk_pack_a_portable(const float *a, long lda, int rows, long kc, float *dst, int mr) {
    const float *s[32];
    for (int i = 0; i < rows; i++) s[i] = a + i * lda;
    for (long k = 0; k < kc; k++) {
        float *dk = dst + k * mr;
        int i = 0;
        for (; i < rows; i++) dk[i] = s[i][k];
        for (; i < mr; i++) dk[i] = 0.0f;
    }
}

static void pack_a_portable(const float *a, long lda, int rows, long kc, float *dst) {
    vk_pack_a_portable(a, lda, rows, kc, dst, MR);
}

const vk_impl vk_impl_portable = {MR, NR, tile_portable, vk_gather_portable, transpose_portable, pack_a_portable};

double vk_fma_portable(long iterations) {
    float acc[8][4];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = (float)(i + j);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 4; j++) acc[i][j] = acc[i][j] * 0.999999f + 1e-7f;
    float sum = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) sum += acc[i][j];
    volatile float sink = sum;
    (void)sink;
    return (double)iterations * 8 * 4 * 2;
}

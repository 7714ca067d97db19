// AVX2+FMA GEMM micro-kernel (6 rows × 16 columns: 12 ymm accumulators, the Haswell shape of BLIS
// and MLAS) and the AVX2 FMA peak loop. Per k step: two 8-float B loads, six A broadcasts, 12 FMAs.
// Edge tiles go through a scratch tile and the scalar store (AVX2 has no cheap masked stores of
// arbitrary width). Compiled for AVX2+FMA by the pragma below only.
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

#define MR 6
#define NR 16

static void tile_avx2(long kc, const float *restrict a, const float *restrict b, float *c, long ldc, int mr, int nr,
                      int accumulate, const float *bias, const float *residual, long ldr, int activation) {
    __m256 acc[MR][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
    for (long k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += NR;
    }
    if (mr == MR && nr == NR) {
        const __m256 zero = _mm256_setzero_ps();
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc;
            __m256 v0 = acc[i][0], v1 = acc[i][1];
            if (accumulate) { v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci)); v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8)); }
            if (bias) { __m256 bv = _mm256_broadcast_ss(bias + i); v0 = _mm256_add_ps(v0, bv); v1 = _mm256_add_ps(v1, bv); }
            if (residual) {
                const float *ri = residual + i * ldr;
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ri));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ri + 8));
            }
            if (activation == VK_ACT_RELU) { v0 = _mm256_max_ps(zero, v0); v1 = _mm256_max_ps(zero, v1); }  // NaN passes
            _mm256_storeu_ps(ci, v0);
            _mm256_storeu_ps(ci + 8, v1);
        }
        return;
    }
    float tmp[MR * NR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) { _mm256_storeu_ps(tmp + i * NR, acc[i][0]); _mm256_storeu_ps(tmp + i * NR + 8, acc[i][1]); }
    vk_store_tile_scalar(tmp, NR, c, ldc, mr, nr, accumulate, bias, residual, ldr, activation);
}

const vk_impl vk_impl_avx2 = {MR, NR, tile_avx2, vk_gather_portable};

double vk_fma_avx2(long iterations) {
    __m256 acc[12];
    const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
#pragma clang loop unroll(full)
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < 12; i++) sum = _mm256_add_ps(sum, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    volatile float sink = lanes[0] + lanes[7];
    (void)sink;
    return (double)iterations * 12 * 8 * 2;
}

#pragma clang attribute pop
#endif

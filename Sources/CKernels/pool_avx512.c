// 2×2 / stride 2 max pooling for AVX-512: 16 outputs per step from two 32-float row segments, the
// even and odd columns split with one permute each, the rule of pool.c in mask registers; the last
// step of a row is masked.
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)

/// Lanes where b replaces a: larger, or the first NaN.
static inline __mmask16 takes16(__m512 b, __m512 a) {
    return _mm512_cmp_ps_mask(b, a, _CMP_GT_OQ) | (_mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(a, a, _CMP_ORD_Q));
}

void vk_max_pool2x2_avx512(const float *x, float *y, int *indices, long W, long OH, long OW) {
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odds = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i lanes2 = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i one = _mm512_set1_epi32(1), width = _mm512_set1_epi32((int)W), width1 = _mm512_set1_epi32((int)W + 1);
    for (long oh = 0; oh < OH; oh++) {
        const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
        for (long ow = 0; ow < OW; ow += 16) {
            long n = OW - ow < 16 ? OW - ow : 16;
            __mmask16 out_mask = (__mmask16)(n == 16 ? 0xFFFF : (1u << n) - 1);
            long inputs = 2 * n;  // input floats of this step: lanes [0, 16) and [16, 32)
            __mmask16 lo = (__mmask16)(inputs >= 16 ? 0xFFFF : (1u << inputs) - 1);
            __mmask16 hi = (__mmask16)(inputs >= 32 ? 0xFFFF : inputs <= 16 ? 0 : (1u << (inputs - 16)) - 1);
            const float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
            __m512 t0 = _mm512_maskz_loadu_ps(lo, p0), t1 = _mm512_maskz_loadu_ps(hi, p0 + 16);
            __m512 b0 = _mm512_maskz_loadu_ps(lo, p1), b1 = _mm512_maskz_loadu_ps(hi, p1 + 16);
            __m512 a = _mm512_permutex2var_ps(t0, evens, t1), b = _mm512_permutex2var_ps(t0, odds, t1);
            __m512 c = _mm512_permutex2var_ps(b0, evens, b1), d = _mm512_permutex2var_ps(b0, odds, b1);
            __mmask16 k0 = takes16(b, a), k1 = takes16(d, c);
            __m512 m0 = _mm512_mask_blend_ps(k0, a, b), m1 = _mm512_mask_blend_ps(k1, c, d);
            __mmask16 k = takes16(m1, m0);
            _mm512_mask_storeu_ps(y + oh * OW + ow, out_mask, _mm512_mask_blend_ps(k, m0, m1));
            if (indices) {
                __m512i top = _mm512_maskz_mov_epi32(k0, one), bottom = _mm512_mask_blend_epi32(k1, width, width1);
                __m512i position = _mm512_add_epi32(_mm512_add_epi32(lanes2, _mm512_set1_epi32((int)(2 * oh * W + 2 * ow))),
                                                    _mm512_mask_blend_epi32(k, top, bottom));
                _mm512_mask_storeu_epi32(indices + oh * OW + ow, out_mask, position);
            }
        }
    }
}

#pragma clang attribute pop
#endif

// 2×2 / stride 2 max pooling for AVX2+FMA: 8 outputs per step from two 16-float row segments, the
// even and odd columns split with shuffles, the rule of pool.c lane-wise; a row's last partial step
// runs the portable kernel.
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

/// Lanes where b replaces a: larger, or the first NaN.
static inline __m256 takes8(__m256 b, __m256 a) {
    return _mm256_or_ps(_mm256_cmp_ps(b, a, _CMP_GT_OQ),
                        _mm256_and_ps(_mm256_cmp_ps(b, b, _CMP_UNORD_Q), _mm256_cmp_ps(a, a, _CMP_ORD_Q)));
}

/// The even (even = 1) or odd lanes of u:v in order.
static inline __m256 split(__m256 u, __m256 v, int even) {
    __m256 s = even ? _mm256_shuffle_ps(u, v, 0x88) : _mm256_shuffle_ps(u, v, 0xDD);  // u0 u2 v0 v2 | u4 u6 v4 v6
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0xD8));
}

void vk_max_pool2x2_avx2(const float *x, float *y, int *indices, long W, long OH, long OW) {
    const __m256i lanes2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i one = _mm256_set1_epi32(1), width = _mm256_set1_epi32((int)W), width1 = _mm256_set1_epi32((int)W + 1);
    for (long oh = 0; oh < OH; oh++) {
        const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
        long ow = 0;
        for (; ow + 8 <= OW; ow += 8) {
            const float *p0 = r0 + 2 * ow, *p1 = r1 + 2 * ow;
            __m256 t0 = _mm256_loadu_ps(p0), t1 = _mm256_loadu_ps(p0 + 8);
            __m256 b0 = _mm256_loadu_ps(p1), b1 = _mm256_loadu_ps(p1 + 8);
            __m256 a = split(t0, t1, 1), b = split(t0, t1, 0), c = split(b0, b1, 1), d = split(b0, b1, 0);
            __m256 k0 = takes8(b, a), k1 = takes8(d, c);
            __m256 m0 = _mm256_blendv_ps(a, b, k0), m1 = _mm256_blendv_ps(c, d, k1);
            __m256 k = takes8(m1, m0);
            _mm256_storeu_ps(y + oh * OW + ow, _mm256_blendv_ps(m0, m1, k));
            if (indices) {
                __m256i top = _mm256_and_si256(_mm256_castps_si256(k0), one);
                __m256i bottom = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(width), _mm256_castsi256_ps(width1), k1));
                __m256i pick = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(top), _mm256_castsi256_ps(bottom), k));
                __m256i position = _mm256_add_epi32(_mm256_add_epi32(lanes2, _mm256_set1_epi32((int)(2 * oh * W + 2 * ow))), pick);
                _mm256_storeu_si256((__m256i *)(indices + oh * OW + ow), position);
            }
        }
        if (ow < OW) {
            // The row's tail: the portable rule on the remaining outputs of this row.
            for (; ow < OW; ow++) {
                long at = 2 * ow;
                float a = r0[at], b = r0[at + 1], c = r1[at], d = r1[at + 1];
                int t0 = b > a || (b != b && a == a), t1 = d > c || (d != d && c == c);
                float m0 = t0 ? b : a, m1 = t1 ? d : c;
                int t = m1 > m0 || (m1 != m1 && m0 == m0);
                y[oh * OW + ow] = t ? m1 : m0;
                if (indices) indices[oh * OW + ow] = (int)(2 * oh * W + at + (t ? W + t1 : t0));
            }
        }
    }
}

#pragma clang attribute pop
#endif

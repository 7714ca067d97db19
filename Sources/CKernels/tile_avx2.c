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

/// Lane masks (all ones where bit i of `bits` is set) for 8 lanes.
static inline __m256i lane_mask(uint32_t bits) {
    const __m256i lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), lane_bits), lane_bits);
}

/// The lanes of `bits` at p, the others 0, and the store of v's lanes of `bits` to p: masked moves
/// only for partial masks. AMD's Zen 2 and Zen 3 run VMASKMOVPS stores as microcode (an order of
/// magnitude slower than a plain store; the conv gather of a 1×1 conv spent as long in its masked
/// stores as the GEMM in its FMAs on a Zen 3), and a full mask is by far the common case.
static inline __m256 load_lanes(const float *p, uint32_t bits) {
    if (bits == 0xFF) return _mm256_loadu_ps(p);
    if (bits == 0) return _mm256_setzero_ps();
    return _mm256_maskload_ps(p, lane_mask(bits));
}

static inline void store_lanes(float *p, uint32_t bits, __m256 v) {
    if (bits == 0xFF) _mm256_storeu_ps(p, v);
    else if (bits) _mm256_maskstore_ps(p, lane_mask(bits), v);
}

/// The even lanes of a:b (a0 a2 a4 a6 b0 b2 b4 b6).
static inline __m256 even_lanes(__m256 a, __m256 b) {
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// The conv gather with AVX2 masked loads, as gather_avx512 (tile_avx512.c): per run a table of
/// valid kernel rows and, per kernel column, the input lanes inside the image; a K row is then one
/// or two masked 8-float loads per 8 outputs (stride 1; four and a shuffle for stride 2) and masked
/// stores of the run's lanes. Masked-off lanes neither read memory nor fault, and load as zeros.
static void gather_avx2(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs, int count,
                        long k0, long kc, int nr, float *dst) {
    if (!vk_gather_vectorizes(g) || nr != NR) {
        vk_gather_portable(g, group, x, runs, count, k0, kc, nr, dst);
        return;
    }
    const long sw = g->stride_w, W = g->width, plane = g->height * W;
    const long kh = g->kernel_h, kw = g->kernel_w, kk = kh * kw;
    vk_gather_table tables[NR];
    vk_gather_tables(g, group, runs, count, tables);
    const long cols = runs[count - 1].offset + runs[count - 1].count;
    long cl = k0 / kk, ki = (k0 - cl * kk) / kw, kj = k0 - cl * kk - ki * kw;
    for (long kr = 0; kr < kc; kr++) {
        float *dk = dst + kr * NR;
        long shift = cl * plane + ki * g->dilation_h * W + kj * g->dilation_w;
        for (int s = 0; s < count; s++) {
            const vk_gather_table *t = &tables[s];
            uint32_t m = (t->row_ok >> ki) & 1 ? (uint32_t)t->lanes[kj] : 0;
            const float *src = x + t->base + shift;
            float *o = dk + runs[s].offset;
            __m256 v0, v1;
            if (sw == 1) {
                v0 = load_lanes(src, m & 0xFF);
                v1 = load_lanes(src + 8, (m >> 8) & 0xFF);
            } else {
                __m256 a = load_lanes(src, m & 0xFF);
                __m256 b = load_lanes(src + 8, (m >> 8) & 0xFF);
                __m256 c = load_lanes(src + 16, (m >> 16) & 0xFF);
                __m256 d = load_lanes(src + 24, m >> 24);
                v0 = even_lanes(a, b);
                v1 = even_lanes(c, d);
            }
            store_lanes(o, t->store & 0xFF, v0);
            store_lanes(o + 8, (t->store >> 8) & 0xFF, v1);
        }
        for (long t = cols; t < NR; t++) dk[t] = 0.0f;
        if (++kj == kw) {
            kj = 0;
            if (++ki == kh) { ki = 0; ++cl; }
        }
    }
}

/// Transposes 8 × 8 floats in registers: out[t] lane j = r[j] lane t.
static inline void transpose8_registers(__m256 r[8], __m256 out[8]) {
    __m256 t[8];
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i += 4) {  // r[i + q]: lane L holds column 4L + q of rows i..i+3
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma clang loop unroll(full)
    for (int q = 0; q < 4; q++) {
        out[q] = _mm256_permute2f128_ps(r[q], r[4 + q], 0x20);      // column q
        out[4 + q] = _mm256_permute2f128_ps(r[q], r[4 + q], 0x31);  // column 4 + q
    }
}

/// dst[t·ldd + j] = src[j·lds + t] for t < rows (≤ 8), j < 8.
static inline void transpose8(const float *src, long lds, float *dst, long ldd, int rows) {
    __m256 r[8], out[8];
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
    transpose8_registers(r, out);
    for (int i = 0; i < rows; i++) _mm256_storeu_ps(dst + i * ldd, out[i]);
}

/// The NR × NR square `src` (row stride NR) transposed into rows [0, rows) of `dst` (row stride NR).
static void transpose_avx2(const float *src, float *dst, int rows) {
    transpose8(src, NR, dst, NR, rows < 8 ? rows : 8);
    transpose8(src + 8 * NR, NR, dst + 8, NR, rows < 8 ? rows : 8);
    if (rows > 8) {
        transpose8(src + 8, NR, dst + 8 * NR, NR, rows - 8);
        transpose8(src + 8 * NR + 8, NR, dst + 8 * NR + 8, NR, rows - 8);
    }
}

/// Packs `rows` (≤ MR) rows × kc of `a` (row stride lda) into one MR-row panel: dst[k·MR + i] =
/// a[i·lda + k], zero for rows ≥ `rows`; 8 columns at a time through one register transpose.
static void pack_a_avx2(const float *a, long lda, int rows, long kc, float *dst) {
    _Static_assert(MR == 6, "the 6-float panel rows are stored as 4 + 2 floats");
    for (long k = 0; k < kc; k += 8) {
        const int n = kc - k < 8 ? (int)(kc - k) : 8;
        const uint32_t m = (1u << n) - 1;
        __m256 r[8], out[8];
#pragma clang loop unroll(full)
        for (int i = 0; i < 8; i++) r[i] = i < rows ? load_lanes(a + i * lda + k, m) : _mm256_setzero_ps();
        transpose8_registers(r, out);
        for (int t = 0; t < n; t++) {  // MR of the 8 lanes, without a (microcoded on Zen 3) masked store
            float *d = dst + (k + t) * MR;
            _mm_storeu_ps(d, _mm256_castps256_ps128(out[t]));
            _mm_storel_pi((__m64 *)(d + 4), _mm256_extractf128_ps(out[t], 1));
        }
    }
}

const vk_impl vk_impl_avx2 = {MR, NR, tile_avx2, gather_avx2, transpose_avx2, pack_a_avx2};

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

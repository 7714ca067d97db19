// AVX-512F GEMM micro-kernel (12 rows × 32 columns: 24 zmm accumulators), the conv gather with
// masked loads, and the AVX-512 FMA peak loop.
//
// Design. Per k step the kernel loads two 16-float vectors of the packed B panel and broadcasts the
// 12 packed A values of that step, 24 FMAs in all (MLAS's AVX-512 SGEMM shape). Measured from L1 on
// a Xeon (Sapphire/Emerald Rapids class, 2026-12-02): 12×32 runs at 96% of the FMA peak, 8×32
// (16 accumulators) at only 67%, although 8 rows would divide every channel count. NR = 32 keeps a
// 7×7 map (49 columns) at two panels. The tile's edge rows/columns are stored with masks.
// Everything in this file is compiled for AVX-512 by the pragma below only: callers reach it after
// vk_isa_supported().
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)

#define MR 12
#define NR 32

static inline __m512 epilogue_vector(__m512 v, const float *c, __mmask16 mask, int accumulate, const float *bias,
                                     const float *residual, int activation) {
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
    if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(*bias));
    if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, residual));
    if (activation == VK_ACT_RELU) v = _mm512_max_ps(_mm512_setzero_ps(), v);  // NaN passes
    return v;
}

static void tile_avx512(long kc, const float *restrict a, const float *restrict b, float *c, long ldc, int mr, int nr,
                        int accumulate, const float *bias, const float *residual, long ldr, int activation) {
    __m512 acc[MR][2];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    for (long k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += NR;
    }
    __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        if (i < mr) {
            float *ci = c + i * ldc;
            const float *bi = bias ? bias + i : 0;
            const float *ri = residual ? residual + i * ldr : 0;
            __m512 v0 = epilogue_vector(acc[i][0], ci, m0, accumulate, bi, ri, activation);
            _mm512_mask_storeu_ps(ci, m0, v0);
            if (m1) {
                __m512 v1 = epilogue_vector(acc[i][1], ci + 16, m1, accumulate, bi, ri ? ri + 16 : 0, activation);
                _mm512_mask_storeu_ps(ci + 16, m1, v1);
            }
        }
    }
}

/// The conv gather with masked loads. Whether a run's K row reads inside the image depends only on
/// the kernel row (vertical padding) and the kernel column (horizontal padding), so each run gets
/// a table of row masks and column masks once per panel; a K row is then, per run, one or two
/// masked 16-float loads (stride 1) or two loads and a permute per 16 outputs (stride 2) at a
/// pointer stepped along with (channel, kernel row, kernel column). Masked-off lanes neither read
/// memory nor fault, and load as the padding zeros.
static void gather_avx512(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs, int count,
                          long k0, long kc, int nr, float *dst) {
    if (!vk_gather_vectorizes(g) || nr != NR) {
        vk_gather_portable(g, group, x, runs, count, k0, kc, nr, dst);
        return;
    }
    const long sw = g->stride_w, W = g->width, plane = g->height * W;
    const long kh = g->kernel_h, kw = g->kernel_w, kk = kh * kw;
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    vk_gather_table tables[VK_GATHER_MAX_RUNS];
    vk_gather_tables(g, group, runs, count, tables);
    const long cols = runs[count - 1].offset + runs[count - 1].count;
    const __mmask16 pad_lo = (__mmask16)(cols >= 16 ? 0 : ~((1u << cols) - 1) & 0xFFFF);
    const __mmask16 pad_hi = (__mmask16)(cols >= 32 ? 0 : cols <= 16 ? 0xFFFF : ~((1u << (cols - 16)) - 1) & 0xFFFF);
    long cl = k0 / kk, ki = (k0 - cl * kk) / kw, kj = k0 - cl * kk - ki * kw;
    for (long kr = 0; kr < kc; kr++) {
        float *dk = dst + kr * NR;
        long shift = cl * plane + ki * g->dilation_h * W + kj * g->dilation_w;
        for (int s = 0; s < count; s++) {
            const vk_gather_table *t = &tables[s];
            uint64_t m = (t->row_ok >> ki) & 1 ? t->lanes[kj] : 0;
            const float *src = x + t->base + shift;
            float *o = dk + runs[s].offset;
            uint32_t sm = t->store;
            if (sw == 1) {
                _mm512_mask_storeu_ps(o, (__mmask16)sm, _mm512_maskz_loadu_ps((__mmask16)m, src));
                if (sm >> 16)
                    _mm512_mask_storeu_ps(o + 16, (__mmask16)(sm >> 16), _mm512_maskz_loadu_ps((__mmask16)(m >> 16), src + 16));
            } else {
                __m512 a = _mm512_maskz_loadu_ps((__mmask16)m, src), b = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), src + 16);
                _mm512_mask_storeu_ps(o, (__mmask16)sm, _mm512_permutex2var_ps(a, evens, b));
                if (sm >> 16) {
                    __m512 c = _mm512_maskz_loadu_ps((__mmask16)(m >> 32), src + 32);
                    __m512 d = _mm512_maskz_loadu_ps((__mmask16)(m >> 48), src + 48);
                    _mm512_mask_storeu_ps(o + 16, (__mmask16)(sm >> 16), _mm512_permutex2var_ps(c, evens, d));
                }
            }
        }
        if (pad_lo) _mm512_mask_storeu_ps(dk, pad_lo, _mm512_setzero_ps());
        if (pad_hi) _mm512_mask_storeu_ps(dk + 16, pad_hi, _mm512_setzero_ps());
        if (++kj == kw) {
            kj = 0;
            if (++ki == kh) { ki = 0; ++cl; }
        }
    }
}

/// Transposes 16 × 16 floats in registers: out[t] lane j = r[j] lane t (unpack pairs, then 4 × 4
/// within 128-bit lanes, then across lanes).
static inline void transpose16_registers(__m512 r[16], __m512 out[16]) {
    __m512 t[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 4) {  // r[i + q]: lane L holds column 4L + q of rows i..i+3
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
#pragma clang loop unroll(full)
    for (int q = 0; q < 4; q++) {
        __m512 a = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88), b = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
        __m512 c = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88), d = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
        out[q] = _mm512_shuffle_f32x4(a, c, 0x88);       // column q
        out[8 + q] = _mm512_shuffle_f32x4(a, c, 0xDD);   // column 8 + q
        out[4 + q] = _mm512_shuffle_f32x4(b, d, 0x88);   // column 4 + q
        out[12 + q] = _mm512_shuffle_f32x4(b, d, 0xDD);  // column 12 + q
    }
}

/// dst[t·ldd + j] = src[j·lds + t] for t < rows (≤ 16), j < 16.
static inline void transpose16(const float *src, long lds, float *dst, long ldd, int rows) {
    __m512 r[16], out[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    transpose16_registers(r, out);
    for (int i = 0; i < rows; i++) _mm512_storeu_ps(dst + i * ldd, out[i]);
}

/// The NR × NR square `src` (row stride NR) transposed into rows [0, rows) of `dst` (row stride NR).
static void transpose_avx512(const float *src, float *dst, int rows) {
    transpose16(src, NR, dst, NR, rows < 16 ? rows : 16);
    transpose16(src + 16 * NR, NR, dst + 16, NR, rows < 16 ? rows : 16);
    if (rows > 16) {
        transpose16(src + 16, NR, dst + 16 * NR, NR, rows - 16);
        transpose16(src + 16 * NR + 16, NR, dst + 16 * NR + 16, NR, rows - 16);
    }
}

/// Packs `rows` (≤ MR) rows × kc of `a` (row stride lda) into one MR-row panel: dst[k·MR + i] =
/// a[i·lda + k], zero for rows ≥ `rows`. 16 columns at a time: masked loads, one register transpose,
/// 16 masked 12-lane stores.
static void pack_a_avx512(const float *a, long lda, int rows, long kc, float *dst) {
    for (long k = 0; k < kc; k += 16) {
        const int n = kc - k < 16 ? (int)(kc - k) : 16;
        const __mmask16 m = n == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
        __m512 r[16], out[16];
#pragma clang loop unroll(full)
        for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(m, a + i * lda + k) : _mm512_setzero_ps();
        transpose16_registers(r, out);
        for (int t = 0; t < n; t++) _mm512_mask_storeu_ps(dst + (k + t) * MR, (__mmask16)((1u << MR) - 1), out[t]);
    }
}

const vk_impl vk_impl_avx512 = {MR, NR, tile_avx512, gather_avx512, transpose_avx512, pack_a_avx512};

double vk_fma_avx512(long iterations) {
    __m512 acc[24];
    const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
#pragma clang loop unroll(full)
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
    }
    __m512 sum = acc[0];
    for (int i = 1; i < 24; i++) sum = _mm512_add_ps(sum, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return (double)iterations * 24 * 16 * 2;
}

#pragma clang attribute pop
#endif

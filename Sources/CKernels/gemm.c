// Blocked single-thread SGEMM on the per-ISA micro-kernels (the GotoBLAS/BLIS loop nest).
//
// Design. Loops, outer to inner: columns of C in blocks of NC (B block kc × NC packed into NR-wide
// panels, kept in L2), K in equal blocks of at most KC, rows in blocks of MC (A block MC × kc packed
// into MR-row panels), then NR-panels of B (one stays in L1) × MR-panels of A, one micro-kernel
// call per tile. alpha is applied while packing A; beta other than 0 or 1 pre-scales C; the
// epilogue (bias per row, residual, activation) is applied by the micro-kernel on the last K block.
#include "internal.h"
#include <stdlib.h>

enum { KC_MAX = 256, MC_ROWS = 192, NC_COLS = 512 };

/// Packs rows [i0, i0 + mc) × k [k0, k0 + kc) of op(A), times alpha, into MR-row panels.
static void pack_a_block(const vk_impl *im, int trans_a, const float *a, long lda, long i0, long mc, long k0,
                         long kc, float alpha, float *dst) {
    const int mr = im->mr;
    for (long p = 0; p < mc; p += mr) {
        long rows = mc - p < mr ? mc - p : mr;
        float *d = dst + p * kc;
        if (!trans_a && alpha == 1.0f) {
            im->pack_a(a + (i0 + p) * lda + k0, lda, (int)rows, kc, d);
        } else if (trans_a) {
            for (long k = 0; k < kc; k++) {
                const float *s = a + (k0 + k) * lda + i0 + p;
                long i = 0;
                for (; i < rows; i++) d[k * mr + i] = alpha * s[i];
                for (; i < mr; i++) d[k * mr + i] = 0.0f;
            }
        } else {
            // k outer, rows inner: contiguous writes, `rows` sequential read streams.
            const float *s[32];
            for (long i = 0; i < rows; i++) s[i] = a + (i0 + p + i) * lda + k0;
            for (long k = 0; k < kc; k++) {
                float *dk = d + k * mr;
                long i = 0;
                for (; i < rows; i++) dk[i] = alpha * s[i][k];
                for (; i < mr; i++) dk[i] = 0.0f;
            }
        }
    }
}

/// Packs k [k0, k0 + kc) × columns [j0, j0 + nc) of op(B) into NR-column panels (zero-padded).
static void pack_b_block(int trans_b, const float *b, long ldb, long k0, long kc, long j0, long nc, int nr,
                         float *dst) {
    for (long p = 0; p < nc; p += nr) {
        long cols = nc - p < nr ? nc - p : nr;
        float *d = dst + p * kc;
        if (trans_b) {
            // k outer, columns inner: contiguous writes, `cols` sequential read streams.
            const float *s[32];
            for (long j = 0; j < cols; j++) s[j] = b + (j0 + p + j) * ldb + k0;
            for (long k = 0; k < kc; k++) {
                float *dk = d + k * nr;
                long j = 0;
                for (; j < cols; j++) dk[j] = s[j][k];
                for (; j < nr; j++) dk[j] = 0.0f;
            }
        } else {
            for (long k = 0; k < kc; k++) {
                const float *s = b + (k0 + k) * ldb + j0 + p;
                float *dk = d + k * nr;
                long j = 0;
                for (; j < cols; j++) dk[j] = s[j];
                for (; j < nr; j++) dk[j] = 0.0f;
            }
        }
    }
}

size_t vk_packed_a_floats(int isa, long m, long k) {
    long mr = vk_gemm_mr(isa);
    return (size_t)((m + mr - 1) / mr * mr) * (size_t)k;
}

/// The flipped part of vk_pack_conv_weight_rows: W'[ci][co·kk + t] = w[co][ci][kk − 1 − t] for rows
/// ci in [row0, row1). w is read in its own order (co outer, then the panels' rows, each w[co][p..p+MR]
/// contiguous), so the reads stream instead of hopping by Cin·kk floats per K block; each block is
/// packed by the ISA's transposing pack into `taps` and its K columns copied to their (K block, panel)
/// place in reversed tap order.
static void pack_flipped_rows(const vk_impl *im, const float *w, long m, long k, long kk, long row0, long row1,
                              float *taps, float *packed) {
    const int mr = im->mr;
    const long mpad = (m + mr - 1) / mr * mr, kcb = vk_conv_k_block(k), cout = k / kk;
    for (long co = 0; co < cout; co++) {
        const long q0 = co * kk;
        for (long p = row0; p < row1; p += mr) {
            const int rows = (int)(row1 - p < mr ? row1 - p : mr);
            const float *block = w + (co * m + p) * kk;  // w[co][p..p+rows][0..kk)
            if (kk > 1) im->pack_a(block, kk, rows, kk, taps);  // taps[t'·MR + i] = w[co][p + i][t']
            long k0 = q0 / kcb * kcb;
            for (long u = 0; u < kk; u++) {
                const long q = q0 + u;
                if (q >= k0 + kcb) k0 += kcb;
                const long kc = k - k0 < kcb ? k - k0 : kcb;
                float *dk = packed + k0 * mpad + p * kc + (q - k0) * mr;
                if (kk == 1) {  // W'[ci][co] = w[co][ci]: `rows` contiguous floats of w
                    int i = 0;
                    for (; i < rows; i++) dk[i] = block[i];
                    for (; i < mr; i++) dk[i] = 0.0f;
                } else {
                    const float *src = taps + (kk - 1 - u) * mr;
                    for (int i = 0; i < mr; i++) dk[i] = src[i];
                }
            }
        }
    }
}

void vk_pack_conv_weight_rows(int isa, int flipped, long m, long k, const float *a, long lda, long kh, long kw,
                              float *packed, long row0, long row1) {
    const vk_impl *im = vk_impl_for(isa);
    const int mr = im->mr;
    const long mpad = (m + mr - 1) / mr * mr, kcb = vk_conv_k_block(k), kk = kh * kw;
    if (row1 > m) row1 = m;
    if (flipped) {
        float *taps = vk_workspace(3, (size_t)(kk + 16) * mr);
        if (!taps) abort();
        pack_flipped_rows(im, a, m, k, kk, row0, row1, taps, packed);
        return;
    }
    for (long k0 = 0; k0 < k; k0 += kcb) {
        long kc = k - k0 < kcb ? k - k0 : kcb;
        pack_a_block(im, 0, a, lda, row0, row1 - row0, k0, kc, 1.0f, packed + k0 * mpad + row0 * kc);
    }
}

void vk_pack_conv_weights(int isa, long m, long k, const float *a, long lda, float *packed) {
    vk_pack_conv_weight_rows(isa, 0, m, k, a, lda, 1, 1, packed, 0, m);
}

void vk_pack_conv_weights_flipped(int isa, long cout, long cin, long kh, long kw, const float *w, float *packed) {
    vk_pack_conv_weight_rows(isa, 1, cin, cout * kh * kw, w, 0, kh, kw, packed, 0, cin);
}

void vk_unpack_conv_weights(int isa, long m, long k, const float *packed, float *a, long lda) {
    const long mr = vk_gemm_mr(isa), mpad = (m + mr - 1) / mr * mr, kcb = vk_conv_k_block(k);
    for (long k0 = 0; k0 < k; k0 += kcb) {
        long kc = k - k0 < kcb ? k - k0 : kcb;
        for (long i = 0; i < m; i++) {
            const float *panel = packed + k0 * mpad + (i / mr) * mr * kc + (i % mr);
            float *row = a + i * lda + k0;
            for (long q = 0; q < kc; q++) row[q] = panel[q * mr];
        }
    }
}

static void scale_c(float *c, long ldc, long m, long n, float beta) {
    for (long i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) for (long j = 0; j < n; j++) ci[j] = 0.0f;
        else for (long j = 0; j < n; j++) ci[j] *= beta;
    }
}

/// C (m×n, m ≤ SMALL_M) = alpha·op(A)·op(B) + beta·C without packing B: for a matrix-vector
/// product (a linear layer at batch 1) packing would copy the whole weight matrix per call, where
/// the product only needs to stream it once. Rows of op(B) (B not transposed) are added into C
/// (axpy); columns of op(B) (B transposed: rows of B, contiguous in k) are dotted with A's rows
/// using 16 partial sums. Both loops vectorise for the baseline ISA; the work is memory-bound.
enum { SMALL_M = 4 };

static void gemm_small_m(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *b, long ldb, float beta, float *c, long ldc) {
    float *rows = vk_workspace(0, (size_t)(SMALL_M * k));
    if (!rows) abort();
    for (long i = 0; i < m; i++)
        for (long q = 0; q < k; q++) rows[i * k + q] = alpha * (trans_a ? a[q * lda + i] : a[i * lda + q]);
    for (long i = 0; i < m; i++) {
        const float *ai = rows + i * k;
        float *ci = c + i * ldc;
        if (trans_b) {
            for (long j = 0; j < n; j++) {
                const float *bj = b + j * ldb;
                float part[16] = {0};
                long q = 0;
                for (; q + 16 <= k; q += 16)
                    for (int t = 0; t < 16; t++) part[t] += ai[q + t] * bj[q + t];
                float sum = 0;
                for (int t = 0; t < 16; t++) sum += part[t];
                for (; q < k; q++) sum += ai[q] * bj[q];
                ci[j] = beta == 0.0f ? sum : beta * ci[j] + sum;
            }
        } else {
            if (beta == 0.0f) for (long j = 0; j < n; j++) ci[j] = 0.0f;
            else if (beta != 1.0f) for (long j = 0; j < n; j++) ci[j] *= beta;
            for (long q = 0; q < k; q++) {
                const float *bq = b + q * ldb;
                float aq = ai[q];
                for (long j = 0; j < n; j++) ci[j] += aq * bq[j];
            }
        }
    }
}

/// The blocked loop nest of vk_sgemm and vk_sgemm_packed_b: B's blocks are packed per call from
/// (trans_b, b, ldb), or, when `packed` is set, read in place from vk_pack_b's layout (columns from
/// `col0` of a matrix `npad` panel columns wide).
static void gemm_blocked(const vk_impl *im, int trans_a, int trans_b, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb, const float *packed, long npad,
                         long col0, float beta, float *c, long ldc, const float *bias, const float *residual,
                         long ldr, int activation) {
    const int mr = im->mr, nr = im->nr;
    if (beta != 0.0f && beta != 1.0f) scale_c(c, ldc, m, n, beta);
    const int accumulate_c = beta != 0.0f;
    const long kcb = vk_balanced_kc(k, KC_MAX);
    const long mcb = (MC_ROWS / mr) * mr;
    const long ncb = (NC_COLS / nr) * nr;
    float *pa = vk_workspace(0, (size_t)mcb * kcb);
    float *pb = packed ? 0 : vk_workspace(1, (size_t)ncb * kcb);
    if (!pa || (!packed && !pb)) abort();
    for (long jc = 0; jc < n; jc += ncb) {
        long nc = n - jc < ncb ? n - jc : ncb;
        for (long pc = 0; pc < k; pc += kcb) {
            long kc = k - pc < kcb ? k - pc : kcb;
            int last = pc + kc >= k;
            int accumulate = pc > 0 || accumulate_c;
            const float *block;
            if (packed) {
                block = packed + pc * npad + (col0 + jc) * kc;
            } else {
                pack_b_block(trans_b, b, ldb, pc, kc, jc, nc, nr, pb);
                block = pb;
            }
            for (long ic = 0; ic < m; ic += mcb) {
                long mc = m - ic < mcb ? m - ic : mcb;
                pack_a_block(im, trans_a, a, lda, ic, mc, pc, kc, alpha, pa);
                for (long jr = 0; jr < nc; jr += nr) {
                    int cols = (int)(nc - jr < nr ? nc - jr : nr);
                    for (long ir = 0; ir < mc; ir += mr) {
                        int rows = (int)(mc - ir < mr ? mc - ir : mr);
                        long row = ic + ir, col = jc + jr;
                        im->tile(kc, pa + ir * kc, block + jr * kc, c + row * ldc + col, ldc, rows, cols, accumulate,
                                 last && bias ? bias + row : 0, last && residual ? residual + row * ldr + col : 0, ldr,
                                 last ? activation : VK_ACT_NONE);
                    }
                }
            }
        }
    }
}

size_t vk_packed_b_floats(int isa, long k, long n) {
    long nr = vk_gemm_nr(isa);
    return (size_t)((n + nr - 1) / nr * nr) * (size_t)k;
}

void vk_pack_b(int isa, int trans_b, long k, long n, const float *b, long ldb, float *packed, long col0, long col1) {
    const vk_impl *im = vk_impl_for(isa);
    const long nr = im->nr, npad = (n + nr - 1) / nr * nr;
    const long kcb = vk_balanced_kc(k, KC_MAX);
    if (col1 > n) col1 = n;
    for (long pc = 0; pc < k; pc += kcb) {
        long kc = k - pc < kcb ? k - pc : kcb;
        if (col1 > col0) pack_b_block(trans_b, b, ldb, pc, kc, col0, col1 - col0, (int)nr, packed + pc * npad + col0 * kc);
    }
}

void vk_sgemm_packed_b(int isa, long m, long n, long k, const float *a, long lda, const float *packed, long n_total,
                       long col0, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return;
    const vk_impl *im = vk_impl_for(isa);
    if (k <= 0) {
        if (beta != 1.0f) scale_c(c, ldc, m, n, beta);
        return;
    }
    const long npad = (n_total + im->nr - 1) / im->nr * im->nr;
    gemm_blocked(im, 0, 0, m, n, k, 1.0f, a, lda, 0, 0, packed, npad, col0, beta, c, ldc, 0, 0, 0, VK_ACT_NONE);
}

void vk_sgemm(int isa, int trans_a, int trans_b, long m, long n, long k, float alpha,
              const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc,
              const vk_epilogue *epilogue) {
    if (m <= 0 || n <= 0) return;
    const vk_impl *im = vk_impl_for(isa);
    const int mr = im->mr, nr = im->nr;
    const float *bias = epilogue ? epilogue->bias : 0;
    const float *residual = epilogue ? epilogue->residual : 0;
    long ldr = epilogue ? epilogue->ldr : 0;
    int activation = epilogue ? epilogue->activation : VK_ACT_NONE;
    if (k <= 0 || alpha == 0.0f) {
        if (beta != 1.0f) scale_c(c, ldc, m, n, beta);
        if (bias || residual || activation) {
            for (long i = 0; i < m; i += mr) {
                int rows = (int)(m - i < mr ? m - i : mr);
                for (long j = 0; j < n; j += nr) {
                    int cols = (int)(n - j < nr ? n - j : nr);
                    float *ct = c + i * ldc + j;
                    // Accumulating a zero tile applies the epilogue to C in place.
                    float zeros[16 * 32] = {0};
                    vk_store_tile_scalar(zeros, nr, ct, ldc, rows, cols, 1, bias ? bias + i : 0,
                                         residual ? residual + i * ldr + j : 0, ldr, activation);
                }
            }
        }
        return;
    }
    if (m <= SMALL_M && !bias && !residual && activation == VK_ACT_NONE && n >= 4 * nr) {
        gemm_small_m(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    gemm_blocked(im, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, 0, 0, 0, beta, c, ldc, bias, residual, ldr,
                 activation);
}

// The Winograd F(4×4, 3×3) input and output transforms, written once in plain C over blocks of
// WINO_NB tiles and compiled per ISA: each including file sets WINO_NB (its GEMM tile's NR), WINO_VEC (its
// vector width) and the target pragma, and clang vectorises the loops over a block's tiles (they are the innermost,
// contiguous, compile-time-sized loops) for that ISA's vectors. Only winograd_avx512.c,
// winograd_avx2.c and winograd_portable.c include this file.
//
// Matrices: points 0, 1, −1, 1/2, −2 and ∞ (Barabasz et al., arXiv 1803.10986, found these more
// exact in fp32 than Lavin & Gray's 0, ±1, ±2; measured here: max error 2–3× lower over ResNet's
// shapes), rows of Bᵀ and columns of Aᵀ scaled by powers of 2 (exact) to integer entries:
//   Bᵀ = [2 −3 −4 3 2 0; 0 −2 1 5 2 0; 0 2 −5 1 2 0; 0 −2 −1 2 1 0; 0 1 −2 −1 2 0; 0 2 −3 −4 3 2]
//   Aᵀ = [1 1 1 8 1 0; 0 1 −1 4 −2 0; 0 1 1 2 4 0; 0 1 −1 1 −8 1]
// (G, with the matching scalings, is applied to the weights in winograd.c.)
#include "internal.h"
#include <string.h>

#if !defined(WINO_NB) || !defined(WINO_VEC)
#error "define WINO_NB (tiles per block, the GEMM tile's NR) and WINO_VEC (floats per vector) first"
#endif

/// 1-D Bᵀ·d over the block's tiles: d[i] and o[i] are rows of WINO_NB floats `sd`/`so` apart.
static inline void wino_bt(const float *restrict d, long sd, float *restrict o, long so) {
    for (int j = 0; j < WINO_NB; j++) {
        float d0 = d[j], d1 = d[sd + j], d2 = d[2 * sd + j], d3 = d[3 * sd + j], d4 = d[4 * sd + j], d5 = d[5 * sd + j];
        o[j] = 2.0f * (d0 + d4) - 3.0f * (d1 - d3) - 4.0f * d2;
        o[so + j] = d2 + 5.0f * d3 + 2.0f * (d4 - d1);
        o[2 * so + j] = d3 - 5.0f * d2 + 2.0f * (d1 + d4);
        o[3 * so + j] = d4 - d2 + 2.0f * (d3 - d1);
        o[4 * so + j] = d1 - d3 + 2.0f * (d4 - d2);
        o[5 * so + j] = 2.0f * (d1 + d5) - 3.0f * (d2 - d4) - 4.0f * d3;
    }
}

/// 1-D Aᵀ·m over the block's tiles: 6 rows in, 4 rows out.
static inline void wino_at(const float *restrict m, long sm, float *restrict o, long so) {
    for (int j = 0; j < WINO_NB; j++) {
        float m0 = m[j], m1 = m[sm + j], m2 = m[2 * sm + j], m3 = m[3 * sm + j], m4 = m[4 * sm + j], m5 = m[5 * sm + j];
        float p12 = m1 + m2, n12 = m1 - m2;
        o[j] = m0 + p12 + 8.0f * m3 + m4;
        o[so + j] = n12 + 4.0f * m3 - 2.0f * m4;
        o[2 * so + j] = p12 + 2.0f * m3 + 4.0f * m4;
        o[3 * so + j] = n12 + m3 - 8.0f * m4 + m5;
    }
}

/// Tiles [0, n) of one patch row: p[q·2·WINO_NB + j] = row[4j + q] for the tile's 6 columns q.
static inline void wino_split(float *restrict p, const float *restrict row, long n) {
    enum { PS = 2 * WINO_NB };
    for (long j = 0; j < n; j++) {
        p[j] = row[4 * j];
        p[PS + j] = row[4 * j + 1];
        p[2 * PS + j] = row[4 * j + 2];
        p[3 * PS + j] = row[4 * j + 3];
        p[4 * PS + j] = row[4 * j + 4];
        p[5 * PS + j] = row[4 * j + 5];
    }
}

/// Floats of scratch wino_input needs: the zero-padded input rows of a block's runs.
enum { WINO_ROWS_FLOATS = 6 * WINO_NB * (4 * WINO_VEC + 8) };

/// Input transform of one block: for channels [0, Cin), V[ξ][c][j] (ξ = 6·row + column of the
/// transformed tile, j = tile of the block) = (Bᵀ d B)[ξ] of tile j's 6×6 input patch d
/// (zero outside the image). `rows` is scratch of WINO_ROWS_FLOATS.
static void wino_input(const vk_conv_geometry *g, const float *x, const vk_wino_run *runs, int count, float *v,
                       float *rows) {
    enum { PS = 2 * WINO_NB };  // patch row stride: a run's last vector may spill past its columns
    const long H = g->height, W = g->width, cin = g->in_channels, ph = g->pad_h, pw = g->pad_w;
    _Alignas(64) float patch[36 * PS], t[36 * WINO_NB];
    for (int i = 0; i < 36 * PS; i++) patch[i] = 0.0f;
    // First every input row the block reads, zero-padded, for whole vectors of tiles (the columns
    // past a run are overwritten by the next run or lie past the block's last tile: finite values
    // in GEMM columns that are never stored); then the patches from them. Two passes, so that the
    // vector loads of the second do not wait on the first's recent stores (a load spanning
    // several smaller stores cannot be forwarded from them). Which parts of the rows are padding
    // is the same for every channel: they are zeroed once.
    long total = 0;
    for (int s = 0; s < count; s++) total += 6 * (4 * ((runs[s].count + WINO_VEC - 1) / WINO_VEC * WINO_VEC) + 2);
    for (long q = 0; q < total; q++) rows[q] = 0.0f;
    for (long c = 0; c < cin; c++) {
        float *rp = rows;
        for (int s = 0; s < count; s++) {
            const vk_wino_run *u = &runs[s];
            const float *plane = x + (u->image * cin + c) * H * W;
            long iw0 = 4 * u->tile_col - pw, n = (u->count + WINO_VEC - 1) / WINO_VEC * WINO_VEC, width = 4 * n + 2;
            long lo = iw0 < 0 ? -iw0 : 0, hi = W - iw0 < width ? W - iw0 : width;
            for (int r = 0; r < 6; r++, rp += width) {
                long ih = 4 * u->tile_row - ph + r;
                if (ih < 0 || ih >= H) continue;
                // (memcpy: rows are 20–60 floats, where a vectorised loop spends most of its
                // time in the scalar remainder)
                if (hi > lo) memcpy(rp + lo, plane + ih * W + iw0 + lo, (size_t)(hi - lo) * sizeof(float));
            }
        }
        rp = rows;
        for (int s = 0; s < count; s++) {
            const vk_wino_run *u = &runs[s];
            long n = (u->count + WINO_VEC - 1) / WINO_VEC * WINO_VEC, width = 4 * n + 2;
            for (int r = 0; r < 6; r++, rp += width) {
                float *p = patch + r * 6 * PS + u->offset;
                // Constant trip counts for the common lengths: no vector-loop set-up per row.
                if (n == WINO_VEC) wino_split(p, rp, WINO_VEC);
                else if (n == 2 * WINO_VEC) wino_split(p, rp, 2 * WINO_VEC);
                else wino_split(p, rp, n);
            }
        }
        // Rows of the patch (along the tile's columns), then columns: V = Bᵀ d B.
        for (int r = 0; r < 6; r++) wino_bt(patch + r * 6 * PS, PS, t + r * 6 * WINO_NB, WINO_NB);
        for (int l = 0; l < 6; l++) wino_bt(t + l * WINO_NB, 6 * WINO_NB, v + (l * cin + c) * WINO_NB, 6 * cin * WINO_NB);
    }
}

/// Output transform of one block for output channels [co0, co1): y = act(Aᵀ M A + bias +
/// residual) for each tile's valid outputs (a tile at the right or bottom edge may have fewer
/// than 4×4). `m` holds M[ξ][co − co0][j] with ξ stride `mstride` floats and row stride WINO_NB.
static void wino_output(const vk_conv_geometry *g, const float *m, long mstride, const vk_wino_run *runs, int count,
                        long co0, long co1, float *y, const vk_epilogue *e) {
    const long OH = g->out_h, OW = g->out_w, cout = g->out_channels, P = OH * OW;
    const float *bias = e ? e->bias : 0, *residual = e ? e->residual : 0;
    const int relu = e && e->activation == VK_ACT_RELU;
    _Alignas(64) float s[24 * WINO_NB], o[16 * WINO_NB];
    for (long co = co0; co < co1; co++) {
        const float *mc = m + (co - co0) * WINO_NB;
        // Aᵀ along each transformed row's columns (6 → 4), then along the rows (6 → 4).
        for (int k = 0; k < 6; k++) wino_at(mc + 6 * k * mstride, mstride, s + k * 4 * WINO_NB, WINO_NB);
        for (int b = 0; b < 4; b++) wino_at(s + b * WINO_NB, 4 * WINO_NB, o + b * WINO_NB, 4 * WINO_NB);
        const float bv = bias ? bias[co] : 0.0f;
        for (int i = 0; i < 16 * WINO_NB; i++) o[i] += bv;
        for (int q = 0; q < count; q++) {
            const vk_wino_run *u = &runs[q];
            long oh0 = 4 * u->tile_row, ow0 = 4 * u->tile_col, n = u->count;
            long rows = OH - oh0 < 4 ? OH - oh0 : 4;
            long full = (OW - ow0) / 4 < n ? (OW - ow0) / 4 : n;  // tiles of the run with 4 valid columns
            long base = (u->image * cout + co) * P + oh0 * OW + ow0;
            for (long a = 0; a < rows; a++) {
                float *dst = y + base + a * OW;
                const float *res = residual ? residual + base + a * OW : 0;
                const float *oa = o + a * 4 * WINO_NB + u->offset;
                for (long j = 0; j < full; j++)
                    for (int b = 0; b < 4; b++) {
                        float val = oa[b * WINO_NB + j];
                        if (res) val += res[4 * j + b];
                        if (relu) val = val < 0.0f ? 0.0f : val;  // NaN stays NaN, as torch.relu
                        dst[4 * j + b] = val;
                    }
                for (long j = full; j < n; j++)
                    for (long b = 0; b < OW - ow0 - 4 * j && b < 4; b++) {
                        float val = oa[b * WINO_NB + j];
                        if (res) val += res[4 * j + b];
                        if (relu) val = val < 0.0f ? 0.0f : val;
                        dst[4 * j + b] = val;
                    }
            }
        }
    }
}

/// The ISA's entry: its transforms and their block size.
#define WINO_IMPL {WINO_NB, WINO_ROWS_FLOATS, wino_input, wino_output}

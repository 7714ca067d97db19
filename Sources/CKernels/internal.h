// Shared between the CKernels files: the per-ISA micro-kernel table and thread-local workspaces.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
#include "include/CKernels.h"
#include <stdint.h>

/// One register tile: acc (MR×NR) = A panel (kc groups of MR floats) · B panel (kc groups of NR
/// floats); then, for rows < mr and columns < nr: v = acc (+ c if accumulate) (+ bias[row])
/// (+ residual[row·ldr + col]), activation, stored to c[row·ldc + col].
typedef void (*vk_tile_fn)(long kc, const float *a, const float *b, float *c, long ldc, int mr, int nr,
                           int accumulate, const float *bias, const float *residual, long ldr, int activation);

/// A run of one packed B panel's columns that share an image and an output row (conv gather).
typedef struct {
    long image, out_row, out_col, count, offset;
} vk_conv_run;

/// Cuts the flattened output columns [c0, c0 + cols) into runs of one output row each (a panel's
/// runs for the gathers); returns how many. `runs` holds at least `cols` entries.
static inline int vk_column_runs(const vk_conv_geometry *g, long c0, long cols, vk_conv_run *runs) {
    const long P = g->out_h * g->out_w;
    int count = 0;
    for (long j = 0; j < cols;) {
        long col = c0 + j, image = col / P, pix = col - image * P;
        long oh = pix / g->out_w, ow = pix - oh * g->out_w;
        long n = g->out_w - ow;
        if (n > cols - j) n = cols - j;
        runs[count++] = (vk_conv_run){image, oh, ow, n, j};
        j += n;
    }
    return count;
}

/// Fills rows [k0, k0 + kc) of one NR-wide packed conv B panel (`dst`, kc groups of nr floats) from
/// the input, given the panel's runs; columns past the runs are zero.
typedef void (*vk_gather_fn)(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs,
                             int count, long k0, long kc, int nr, float *dst);

/// Transposes the NR × NR square `src` (row stride NR) into rows [0, rows) of `dst` (row stride
/// NR): dst[t·NR + j] = src[j·NR + t]. The weight gradient turns gathered K rows into B panels with it.
typedef void (*vk_transpose_fn)(const float *src, float *dst, int rows);

/// Packs `rows` (≤ MR) rows × kc of a row-major matrix (row stride lda) into one MR-row panel:
/// dst[k·MR + i] = a[i·lda + k], zero for rows ≥ `rows`.
typedef void (*vk_pack_a_fn)(const float *a, long lda, int rows, long kc, float *dst);

/// An ISA's GEMM micro-kernel, its tile, its conv gather, its square transpose and its A packing.
typedef struct {
    int mr, nr;
    vk_tile_fn tile;
    vk_gather_fn gather;
    vk_transpose_fn transpose;
    vk_pack_a_fn pack_a;
} vk_impl;

/// The plain-C A packing for any MR (the portable path's, and any ISA's fallback).
void vk_pack_a_portable(const float *a, long lda, int rows, long kc, float *dst, int mr);

/// The conv gather in plain C (any ISA).
void vk_gather_portable(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs, int count,
                        long k0, long kc, int nr, float *dst);

/// Steps (channel, kernel row, kernel column) to the next row of the conv's column matrix.
static inline void vk_next_tap(const vk_conv_geometry *g, long *cl, long *ki, long *kj) {
    if (++*kj == g->kernel_w) {
        *kj = 0;
        if (++*ki == g->kernel_h) { *ki = 0; ++*cl; }
    }
}

/// Input columns of a run that fall inside the image: run positions t in [*first, *last) read
/// iw0 + t·stride in [0, W).
static inline void vk_run_valid_range(long iw0, long stride, long width, long count, long *first, long *last) {
    long f, l;
    if (stride == 1) {  // no divisions on the common strides: this runs once per run and K row
        f = iw0 >= 0 ? 0 : -iw0;
        l = width - iw0;
    } else if (stride == 2) {
        f = iw0 >= 0 ? 0 : (-iw0 + 1) >> 1;
        l = iw0 >= width ? 0 : (width - iw0 + 1) >> 1;
    } else {
        f = iw0 >= 0 ? 0 : (-iw0 + stride - 1) / stride;
        l = iw0 >= width ? 0 : (width - iw0 + stride - 1) / stride;
    }
    if (l < 0) l = 0;
    if (f > count) f = count;
    if (l > count) l = count;
    if (l < f) l = f;
    *first = f;
    *last = l;
}

/// 2×2 / stride 2 max pooling of one plane, rows [oh0, oh1), in plain C (pool.c).
void vk_max_pool2x2_rows_portable(const float *x, float *y, int *indices, long W, long OW, long oh0, long oh1);
#if defined(__x86_64__)
void vk_max_pool2x2_avx512(const float *x, float *y, int *indices, long W, long OH, long OW);
void vk_max_pool2x2_avx2(const float *x, float *y, int *indices, long W, long OH, long OW);
#endif

/// The table entry for `isa` (the portable one for an ISA this build or CPU lacks).
const vk_impl *vk_impl_for(int isa);

extern const vk_impl vk_impl_portable;
double vk_fma_portable(long iterations);
#if defined(__x86_64__)
extern const vk_impl vk_impl_avx2, vk_impl_avx512;
double vk_fma_avx2(long iterations);
double vk_fma_avx512(long iterations);
#endif

/// A 64-byte-aligned buffer of at least `floats` floats owned by the calling thread (slot 0–3 for
/// gemm.c and conv.c, 4–5 for winograd.c, 6–7 for conv_direct.c, 8 for conv_depthwise.c),
/// grown on demand, kept for the thread's life and freed when it exits; NULL if memory runs out.
float *vk_workspace(int slot, size_t floats);

/// Stores a finished tile held in `tmp` (mr×nr, row stride `ld`) with the epilogue rules of vk_tile_fn.
void vk_store_tile_scalar(const float *tmp, long ld, float *c, long ldc, int mr, int nr, int accumulate,
                          const float *bias, const float *residual, long ldr, int activation);

/// The conv's K block length for K = k (vk_conv2d_forward and the weight packing agree on it).
enum { VK_CONV_KC_MAX = 256 };
static inline long vk_balanced_kc(long k, long max_kc);
static inline long vk_conv_k_block(long k) { return vk_balanced_kc(k, VK_CONV_KC_MAX); }

/// K-block length: k split into equal blocks of at most `max_kc`.
static inline long vk_balanced_kc(long k, long max_kc) {
    long blocks = (k + max_kc - 1) / max_kc;
    return (k + blocks - 1) / blocks;
}

enum { VK_GATHER_MAX_KERNEL = 16, VK_GATHER_MAX_RUNS = 32 };

/// What the vector gathers precompute per run of a panel (once per panel, not per K row): whether a
/// K row reads inside the image depends only on its kernel row (vertical padding) and kernel
/// column (horizontal padding). `base` is the input offset of (channel 0, kernel row 0, kernel
/// column 0); bit ki of `row_ok` says kernel row ki is inside; `lanes[kj]` has a bit per input lane
/// the run reads inside the image at kernel column kj (stride 1: lane t for output t; stride 2:
/// lanes [2·first, 2·last − 1)); `store` a bit per output lane of the run.
typedef struct {
    long base;
    unsigned row_ok;
    uint32_t store;
    uint64_t lanes[VK_GATHER_MAX_KERNEL];
} vk_gather_table;

/// Whether the vector gathers handle `g` (strides 1 and 2, kernels up to VK_GATHER_MAX_KERNEL).
static inline int vk_gather_vectorizes(const vk_conv_geometry *g) {
    return (g->stride_w == 1 || g->stride_w == 2) && g->kernel_h <= VK_GATHER_MAX_KERNEL && g->kernel_w <= VK_GATHER_MAX_KERNEL;
}

/// Fills the tables of a panel's `count` runs (≤ VK_GATHER_MAX_RUNS, each ≤ 32 columns).
static inline void vk_gather_tables(const vk_conv_geometry *g, long group, const vk_conv_run *runs, int count,
                                    vk_gather_table *tables) {
    const long sw = g->stride_w, cin_g = g->in_channels / g->groups, H = g->height, W = g->width;
    for (int s = 0; s < count; s++) {
        const vk_conv_run *u = &runs[s];
        vk_gather_table *t = &tables[s];
        long ih0 = u->out_row * g->stride_h - g->pad_h, iw0 = u->out_col * sw - g->pad_w;
        t->base = ((u->image * g->in_channels + group * cin_g) * H + ih0) * W + iw0;
        t->row_ok = 0;
        for (long ki = 0; ki < g->kernel_h; ki++) {
            long ih = ih0 + ki * g->dilation_h;
            if (ih >= 0 && ih < H) t->row_ok |= 1u << ki;
        }
        for (long kj = 0; kj < g->kernel_w; kj++) {
            long first, last;
            vk_run_valid_range(iw0 + kj * g->dilation_w, sw, W, u->count, &first, &last);
            uint64_t m = 0;
            if (last > first) {
                long lo = sw == 1 ? first : 2 * first, hi = sw == 1 ? last : 2 * last - 1;
                m = (hi >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << hi) - 1)) & ~(((uint64_t)1 << lo) - 1);
            }
            t->lanes[kj] = m;
        }
        t->store = u->count >= 32 ? 0xFFFFFFFFu : ((1u << u->count) - 1);
    }
}

/// A run of one Winograd block's tiles that share an image and a tile row (tiles are 4×4 outputs).
typedef struct {
    long image, tile_row, tile_col, count, offset;
} vk_wino_run;

/// An ISA's Winograd F(4×4, 3×3) transforms over blocks of NR tiles (winograd_impl.h).
/// `tiles` is the block size (the GEMM tile's NR); `input` needs `rows_floats` of scratch.
typedef struct {
    int tiles, rows_floats;
    void (*input)(const vk_conv_geometry *g, const float *x, const vk_wino_run *runs, int count, float *v, float *rows);
    void (*output)(const vk_conv_geometry *g, const float *m, long mstride, const vk_wino_run *runs, int count,
                   long co0, long co1, float *y, const vk_epilogue *e);
} vk_winograd_impl;

/// An ISA's direct-conv micro-kernel (direct_impl.h): tiles of `channels` output channels ×
/// n ≤ `pixels` output pixels. acc (n × channels, pixel-major) (+ if accumulate)= Σ over kc steps
/// of w[k] (channels floats) · px[j][koff[k]].
typedef struct {
    int channels, pixels;
    void (*tile)(long kc, const float *w, const int32_t *koff, const float *const *px, int n, float *acc, int accumulate);
} vk_direct_impl;

extern const vk_direct_impl vk_direct_portable;
#if defined(__x86_64__)
extern const vk_direct_impl vk_direct_avx2, vk_direct_avx512;
#endif

/// Copies an H × W plane into dst as (H + 2·ph) × (W + 2·pw) with zeros around it (the direct and
/// depthwise kernels' padded input).
void vk_pad_plane(const float *src, float *dst, long H, long W, long ph, long pw);

/// An ISA's depthwise row kernel (depthwise_impl.h): output row `oh` of one plane from its padded
/// input plane `xp` (rows `wp` floats apart, slack after), weights `w` (kh × kw), bias, the
/// residual row (or NULL) and ReLU; `vec` outputs per vector.
typedef struct {
    int vec;
    void (*row)(const vk_conv_geometry *g, const float *xp, long wp, const float *w, float bias, const float *res,
                int relu, float *out, long oh);
    /// dw[tap] += Σ over the plane's outputs of dy · the input that tap read (xp padded as for
    /// `row`); db[0] += Σ dy when db is not NULL.
    void (*weight_grad)(const vk_conv_geometry *g, const float *xp, long wp, const float *dy, float *dw, float *db);
} vk_depthwise_impl;

extern const vk_depthwise_impl vk_depthwise_portable;
#if defined(__x86_64__)
extern const vk_depthwise_impl vk_depthwise_avx2, vk_depthwise_avx512;
#endif

extern const vk_winograd_impl vk_winograd_portable;
#if defined(__x86_64__)
extern const vk_winograd_impl vk_winograd_avx2, vk_winograd_avx512;
#endif
/// An ISA's transcendental activations (activation_impl.h) over a contiguous run.
typedef struct {
    int vec;
    void (*forward)(int kind, const float *x, float *y, long n);
    void (*gradient)(int kind, const float *g, const float *x, float *dx, long n);
} vk_activation_impl;

extern const vk_activation_impl vk_activation_portable;
#if defined(__x86_64__)
extern const vk_activation_impl vk_activation_avx2, vk_activation_avx512;
#endif

#endif

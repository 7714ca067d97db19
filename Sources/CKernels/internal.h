// Shared between the CKernels files: the per-ISA micro-kernel table and thread-local workspaces.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
#include "include/CKernels.h"

/// One register tile: acc (MR×NR) = A panel (kc groups of MR floats) · B panel (kc groups of NR
/// floats); then, for rows < mr and columns < nr: v = acc (+ c if accumulate) (+ bias[row])
/// (+ residual[row·ldr + col]), activation, stored to c[row·ldc + col].
typedef void (*vk_tile_fn)(long kc, const float *a, const float *b, float *c, long ldc, int mr, int nr,
                           int accumulate, const float *bias, const float *residual, long ldr, int activation);

/// A run of one packed B panel's columns that share an image and an output row (conv gather).
typedef struct {
    long image, out_row, out_col, count, offset;
} vk_conv_run;

/// Fills rows [k0, k0 + kc) of one NR-wide packed conv B panel (`dst`, kc groups of nr floats) from
/// the input, given the panel's runs; columns past the runs are zero.
typedef void (*vk_gather_fn)(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs,
                             int count, long k0, long kc, int nr, float *dst);

/// An ISA's GEMM micro-kernel, its tile, and its conv gather.
typedef struct {
    int mr, nr;
    vk_tile_fn tile;
    vk_gather_fn gather;
} vk_impl;

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

/// The table entry for `isa` (the portable one for an ISA this build or CPU lacks).
const vk_impl *vk_impl_for(int isa);

extern const vk_impl vk_impl_portable;
double vk_fma_portable(long iterations);
#if defined(__x86_64__)
extern const vk_impl vk_impl_avx2, vk_impl_avx512;
double vk_fma_avx2(long iterations);
double vk_fma_avx512(long iterations);
#endif

/// A 64-byte-aligned buffer of at least `floats` floats owned by the calling thread (slot 0–3),
/// grown on demand and kept for the thread's life; NULL if memory runs out.
float *vk_workspace(int slot, size_t floats);

/// Stores a finished tile held in `tmp` (mr×nr, row stride `ld`) with the epilogue rules of vk_tile_fn.
void vk_store_tile_scalar(const float *tmp, long ld, float *c, long ldc, int mr, int nr, int accumulate,
                          const float *bias, const float *residual, long ldr, int activation);

/// K-block length: k split into equal blocks of at most `max_kc`.
static inline long vk_balanced_kc(long k, long max_kc) {
    long blocks = (k + max_kc - 1) / max_kc;
    return (k + blocks - 1) / blocks;
}
#endif

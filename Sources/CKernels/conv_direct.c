// Direct conv2d forward: output-channel vectors times broadcast input pixels, no gather.
//
// Design. The implicit GEMM (conv.c) copies the input's columns into packed B panels before every
// multiply, and its 32-column panels waste a third of a 7 × 7 map (49 columns). Here the weights
// are the vectors and the input is read in place: a tile is C channels (a panel: 64 on AVX-512) ×
// up to 6 output pixels, and per K step (input channel, kernel row, kernel column) the micro-kernel
// (direct_impl.h) loads the panel's weight vectors and broadcasts, for each pixel, the one input
// value that tap reads at pixel pointer + the tap's offset (a table of K offsets). Pixels are the
// flattened (image, output pixel) index, so a tile may cross output rows and images and only the
// last tile of a range is partial. Padding is a padded copy of the input (vk_direct_pad_input), so
// the kernel never tests bounds. Blocking: columns in blocks of 64 tiles (their pixel pointers
// computed once), then per panel of channels (its weights streamed once per block, in order), K in
// chunks of ≤ 512 steps (a panel's chunk, 128 KB on AVX-512, stays in L2 while every tile of the
// block uses it), partial sums kept in a per-thread scratch between chunks; the last chunk's sums
// go to y with the epilogue (bias, residual, activation), channel by channel.
#include "internal.h"
#include <stdlib.h>
#include <string.h>

enum { DIRECT_BLOCK_TILES = 64, DIRECT_KC_MAX = 512 };

static const vk_direct_impl *direct_impl_for(int isa) {
    const vk_impl *im = vk_impl_for(isa);
#if defined(__x86_64__)
    if (im == &vk_impl_avx512) return &vk_direct_avx512;
    if (im == &vk_impl_avx2) return &vk_direct_avx2;
#endif
    (void)im;
    return &vk_direct_portable;
}

int vk_direct_channels(int isa) { return direct_impl_for(isa)->channels; }
int vk_direct_pixels(int isa) { return direct_impl_for(isa)->pixels; }

size_t vk_direct_weight_floats(int isa, long cout, long k) {
    const long cp = direct_impl_for(isa)->channels;
    return (size_t)((cout + cp - 1) / cp * cp * k);
}

/// Packs rows [co0, co1) (co0 a multiple of cp; co1 = m packs the last panel's zero rows too) of
/// the m × k row-major matrix a (row stride lda) into cp-row panels `pstride` floats apart:
/// dst[(r / cp)·pstride + kk·cp + r % cp] = a[r·lda + kk]. K goes in blocks of 16: each row's 16
/// floats are read in order and the block's 16 × cp outputs (4 KB on AVX-512) stay in L1 while
/// every row writes its column of them (whole rows at once wrote one float per cache line across
/// all of K, 4× slower per call in training).
static void pack_panels(long cp, long m, long k, const float *a, long lda, float *dst, long pstride, long co0, long co1) {
    const long end = co1 >= m ? (m + cp - 1) / cp * cp : co1;
    enum { KB = 16 };
    for (long base = co0 / cp * cp; base < end; base += cp) {
        float *panel = dst + (base / cp) * pstride;
        for (long k0 = 0; k0 < k; k0 += KB) {
            const long kb = k - k0 < KB ? k - k0 : KB;
            for (long i = 0; i < cp; i++) {
                const long r = base + i;
                float *d = panel + k0 * cp + i;
                if (r < co0 || r >= end) continue;
                if (r < m) {
                    const float *row = a + r * lda + k0;
                    for (long t = 0; t < kb; t++) d[t * cp] = row[t];
                } else {
                    for (long t = 0; t < kb; t++) d[t * cp] = 0.0f;
                }
            }
        }
    }
}

void vk_direct_pack_weights(int isa, long cout, long k, const float *w, float *packed, long co0, long co1) {
    const long cp = direct_impl_for(isa)->channels;
    pack_panels(cp, cout, k, w, k, packed, k * cp, co0, co1);
}

void vk_direct_pack_weights_flipped(int isa, long cout, long cin, long kh, long kw, const float *w, float *packed,
                                    long ci0, long ci1) {
    const long cp = direct_impl_for(isa)->channels, taps = kh * kw, k = cout * taps;
    const long end = ci1 >= cin ? (cin + cp - 1) / cp * cp : ci1;
    // Per output channel of the forward conv: its taps × cp block of each panel stays in L1.
    for (long base = ci0 / cp * cp; base < end; base += cp) {
        float *panel = packed + (base / cp) * k * cp;
        for (long co = 0; co < cout; co++) {
            float *block = panel + co * taps * cp;
            for (long i = 0; i < cp; i++) {
                const long ci = base + i;
                if (ci < ci0 || ci >= end) continue;
                if (ci < cin) {
                    const float *src = w + (co * cin + ci) * taps;
                    for (long t = 0; t < taps; t++) block[t * cp + i] = src[taps - 1 - t];
                } else {
                    for (long t = 0; t < taps; t++) block[t * cp + i] = 0.0f;
                }
            }
        }
    }
}

int vk_direct_pack_weights_in_place(int isa, long cout, long k, float *w, long panel0, long panel1) {
    const long cp = direct_impl_for(isa)->channels;
    if (cout % cp != 0) return -1;
    float *block = malloc(sizeof(float) * (size_t)(cp * k));
    if (!block) return -1;
    for (long panel = panel0; panel < panel1; panel++) {
        float *d = w + panel * cp * k;
        for (long q = 0; q < cp * k; q++) block[q] = d[q];
        pack_panels(cp, cp, k, block, k, d, k * cp, 0, cp);
    }
    free(block);
    return 0;
}

void vk_direct_unpack_weights(int isa, long cout, long k, const float *packed, float *w) {
    const long cp = direct_impl_for(isa)->channels;
    for (long co = 0; co < cout; co++) {
        const float *src = packed + (co / cp) * k * cp + co % cp;
        float *row = w + co * k;
        for (long kk = 0; kk < k; kk++) row[kk] = src[kk * cp];
    }
}

void vk_pad_plane(const float *src, float *dst, long H, long W, long ph, long pw) {
    const long wp = W + 2 * pw;
    memset(dst, 0, sizeof(float) * (size_t)(ph * wp));
    for (long r = 0; r < H; r++) {
        float *d = dst + (ph + r) * wp;
        memset(d, 0, sizeof(float) * (size_t)pw);
        memcpy(d + pw, src + r * W, sizeof(float) * (size_t)W);
        memset(d + pw + W, 0, sizeof(float) * (size_t)pw);
    }
    memset(dst + (ph + H) * wp, 0, sizeof(float) * (size_t)(ph * wp));
}

void vk_direct_pad_input(const vk_conv_geometry *g, const float *x, float *xp, long plane0, long plane1) {
    const long H = g->height, W = g->width, ph = g->pad_h, pw = g->pad_w;
    for (long plane = plane0; plane < plane1; plane++)
        vk_pad_plane(x + plane * H * W, xp + plane * (H + 2 * ph) * (W + 2 * pw), H, W, ph, pw);
}

/// Writes one tile's sums (n pixels × channels [co, co + rows)) to y with the epilogue; `relu`
/// and `residual` are constants where it is inlined, so each variant's loop has no branches.
static inline __attribute__((always_inline)) void store_tile_as(const float *acc, int cp, int n, int rows, long co,
                                                                const long *yoff, long P, float *y, const float *bias,
                                                                const float *residual, const int relu) {
    int contiguous = 1;  // the tile's pixels are consecutive in one image: each channel's n outputs are one run
    for (int j = 1; j < n; j++) contiguous &= yoff[j] == yoff[0] + j;
    for (int i = 0; i < rows; i++) {
        const float b = bias ? bias[co + i] : 0.0f;
        const long row = (co + i) * P;
        const float *a = acc + i;
        if (contiguous) {
            float *out = y + yoff[0] + row;
            const float *res = residual ? residual + yoff[0] + row : 0;
            for (int j = 0; j < n; j++) {
                float v = a[j * cp] + b;
                if (residual) v += res[j];
                if (relu) v = v < 0.0f ? 0.0f : v;  // NaN passes, as in the GEMM epilogue
                out[j] = v;
            }
        } else {
            for (int j = 0; j < n; j++) {
                const long o = yoff[j] + row;
                float v = a[j * cp] + b;
                if (residual) v += residual[o];
                if (relu) v = v < 0.0f ? 0.0f : v;
                y[o] = v;
            }
        }
    }
}

static void store_tile(const float *acc, int cp, int n, int rows, long co, const long *yoff, long P, float *y,
                       const vk_epilogue *e) {
    const float *bias = e ? e->bias : 0, *residual = e ? e->residual : 0;
    const int relu = e && e->activation == VK_ACT_RELU;
    if (residual) {
        if (relu) store_tile_as(acc, cp, n, rows, co, yoff, P, y, bias, residual, 1);
        else store_tile_as(acc, cp, n, rows, co, yoff, P, y, bias, residual, 0);
    } else {
        if (relu) store_tile_as(acc, cp, n, rows, co, yoff, P, y, bias, 0, 1);
        else store_tile_as(acc, cp, n, rows, co, yoff, P, y, bias, 0, 0);
    }
}

/// One block of a direct product: for channels [co0, co1) (panels of cp channels, panel p at
/// panels + p·steps·cp) × the block's nb rows (pointers px, output offsets yoff),
/// sum[j][ch] = Σ_{s < steps} w[s][ch] · px[j][offsets[s]], K in chunks whose partial sums wait
/// in `acc`; then y[yoff[j] + ch·ystride] = epilogue(sum) for each channel.
static void direct_block(const vk_direct_impl *im, long steps, const int32_t *offsets, const float *panels, long co0,
                         long co1, const float *const *px, const long *yoff, long nb, long ystride, float *y,
                         const vk_epilogue *epilogue, float *acc) {
    const int cp = im->channels, np = im->pixels;
    const long kcb = vk_balanced_kc(steps, DIRECT_KC_MAX);
    for (long co = co0; co < co1; co += cp) {
        const int rows = (int)(co1 - co < cp ? co1 - co : cp);
        const float *wpanel = panels + (co / cp) * steps * cp;
        for (long k0 = 0; k0 < steps; k0 += kcb) {
            const long kc = steps - k0 < kcb ? steps - k0 : kcb;
            for (long t = 0; t < nb; t += np) {
                const int n = (int)(nb - t < np ? nb - t : np);
                im->tile(kc, wpanel + k0 * cp, offsets + k0, px + t, n, acc + t * cp, k0 > 0);
            }
        }
        for (long t = 0; t < nb; t += np) {
            const int n = (int)(nb - t < np ? nb - t : np);
            store_tile(acc + t * cp, cp, n, rows, co, yoff + t, ystride, y, epilogue);
        }
    }
}

void vk_conv2d_direct(int isa, const vk_conv_geometry *g, const float *xp, long hp, long wp, const float *packed,
                      long co0, long co1, long col0, long col1, float *y, const vk_epilogue *epilogue) {
    if (co1 <= co0 || col1 <= col0) return;
    const vk_direct_impl *im = direct_impl_for(isa);
    const int cp = im->channels, np = im->pixels;
    const long cin = g->in_channels, cout = g->out_channels, kh = g->kernel_h, kw = g->kernel_w;
    const long K = cin * kh * kw, P = g->out_h * g->out_w, OW = g->out_w;
    const long plane = hp * wp;
    int32_t *koff = (int32_t *)vk_workspace(6, (size_t)K);
    float *acc = vk_workspace(7, (size_t)DIRECT_BLOCK_TILES * np * cp);
    if (!koff || !acc) abort();
    for (long c = 0, k = 0; c < cin; c++)
        for (long i = 0; i < kh; i++)
            for (long j = 0; j < kw; j++) koff[k++] = (int32_t)(c * plane + i * g->dilation_h * wp + j * g->dilation_w);
    const long block = (long)DIRECT_BLOCK_TILES * np;
    const float *px[DIRECT_BLOCK_TILES * 6];
    long yoff[DIRECT_BLOCK_TILES * 6];
    for (long b0 = col0; b0 < col1; b0 += block) {
        const long nb = col1 - b0 < block ? col1 - b0 : block;
        for (long t = 0; t < nb; t++) {
            long col = b0 + t, image = col / P, pix = col - image * P, oh = pix / OW, ow = pix - oh * OW;
            px[t] = xp + image * cin * plane + oh * g->stride_h * wp + ow * g->stride_w;
            yoff[t] = image * cout * P + pix;
        }
        direct_block(im, K, koff, packed, co0, co1, px, yoff, nb, P, y, epilogue, acc);
    }
}

void vk_direct_pack_dy(int isa, long batch, long cout, long P, const float *dy, float *packed, long co0, long co1) {
    const long cp = direct_impl_for(isa)->channels;
    // Image by image: its cout × P block of dy fills columns [image·P, (image + 1)·P) of every panel.
    for (long image = 0; image < batch; image++)
        pack_panels(cp, cout, P, dy + image * cout * P, P, packed + image * P * cp, batch * P * cp, co0, co1);
}

void vk_conv2d_direct_weight_grad(int isa, const vk_conv_geometry *g, const float *xp, long hp, long wp,
                                  const float *dy_panels, long co0, long co1, long k0, long k1, float *dw) {
    if (co1 <= co0 || k1 <= k0) return;
    const vk_direct_impl *im = direct_impl_for(isa);
    const int cp = im->channels, np = im->pixels;
    const long cin = g->in_channels, kh = g->kernel_h, kw = g->kernel_w, taps = kh * kw;
    const long K = cin * taps, P = g->out_h * g->out_w, OW = g->out_w, cols = g->batch * P;
    const long plane = hp * wp;
    int32_t *poff = (int32_t *)vk_workspace(6, (size_t)cols);
    float *acc = vk_workspace(7, (size_t)DIRECT_BLOCK_TILES * np * cp);
    if (!poff || !acc) abort();
    for (long col = 0; col < cols; col++) {
        long image = col / P, pix = col - image * P, oh = pix / OW, ow = pix - oh * OW;
        poff[col] = (int32_t)(image * cin * plane + oh * g->stride_h * wp + ow * g->stride_w);
    }
    // dw += the sums: the epilogue's residual is dw itself, read and written at the same place.
    const vk_epilogue accumulate = {0, dw, 0, VK_ACT_NONE};
    const long block = (long)DIRECT_BLOCK_TILES * np;
    const float *px[DIRECT_BLOCK_TILES * 6];
    long yoff[DIRECT_BLOCK_TILES * 6];
    for (long b0 = k0; b0 < k1; b0 += block) {
        const long nb = k1 - b0 < block ? k1 - b0 : block;
        for (long t = 0; t < nb; t++) {
            long k = b0 + t, c = k / taps, r = k - c * taps, i = r / kw, j = r - i * kw;
            px[t] = xp + c * plane + i * g->dilation_h * wp + j * g->dilation_w;
            yoff[t] = k;
        }
        direct_block(im, cols, poff, dy_panels, co0, co1, px, yoff, nb, K, dw, &accumulate, acc);
    }
}

// Implicit-GEMM conv2d forward: the im2col gather is done while packing B panels.
//
// Design. For one group, the output is Y (Cout/g × columns) = W (Cout/g × K) · col (K × columns),
// K = Cin/g·kh·kw, columns = the flattened (image, output pixel) index, so a batch of small maps
// (7×7 at batch 16) is one wide GEMM instead of many narrow ones. W comes prepacked in MR-row
// panels grouped by K block (vk_pack_conv_weights, once per model for inference): the panels of
// one K block are contiguous, so streaming them for each B panel reads one sequential run, which
// the prefetchers follow (with panels strided by all of K, a 512 × 4608 layer at batch 1 ran at a
// third of the speed of the wide layers). col is never materialised: for each block of
// NC columns and each K block (≤ KC rows), the gather writes exactly the packed NR-wide panels the
// micro-kernel reads (kc × NC floats, in L2), straight from the input. A panel's columns are cut
// into runs that share (image, output row); each run of a K row is a copy of a contiguous (stride
// 1) or strided input row segment with zeros where the receptive field leaves the image. Each
// packed B panel then serves every MR-row panel of W. Tiles whose columns cross an image boundary
// are computed into a scratch tile and scattered; all others are stored by the micro-kernel with
// the epilogue (bias, residual, activation) applied on the last K block.
#include "internal.h"
#include <stdlib.h>

enum { CONV_NC_COLS = 384 };

void vk_gather_portable(const vk_conv_geometry *g, long group, const float *x, const vk_conv_run *runs, int count,
                        long k0, long kc, int nr, float *dst) {
    const long kk = g->kernel_h * g->kernel_w, cin_g = g->in_channels / g->groups, H = g->height, W = g->width;
    const long sw = g->stride_w;
    long cols = runs[count - 1].offset + runs[count - 1].count;
    // (channel, kernel row, kernel column) of row k0, then stepped without divisions.
    long cl = k0 / kk, ki = (k0 - cl * kk) / g->kernel_w, kj = k0 - cl * kk - ki * g->kernel_w;
    for (long kr = 0; kr < kc; kr++, vk_next_tap(g, &cl, &ki, &kj)) {
        float *dk = dst + kr * nr;
        for (int s = 0; s < count; s++) {
            const vk_conv_run *u = &runs[s];
            float *o = dk + u->offset;
            long ih = u->out_row * g->stride_h - g->pad_h + ki * g->dilation_h;
            if (ih < 0 || ih >= H) {
                for (long t = 0; t < u->count; t++) o[t] = 0.0f;
                continue;
            }
            const float *row = x + ((u->image * g->in_channels + group * cin_g + cl) * H + ih) * W;
            long iw0 = u->out_col * sw - g->pad_w + kj * g->dilation_w, first, last;
            vk_run_valid_range(iw0, sw, W, u->count, &first, &last);
            long t = 0;
            for (; t < first; t++) o[t] = 0.0f;
            const float *srow = row + iw0;
            if (sw == 1) for (; t < last; t++) o[t] = srow[t];
            else for (; t < last; t++) o[t] = srow[t * sw];
            for (; t < u->count; t++) o[t] = 0.0f;
        }
        for (long t = cols; t < nr; t++) dk[t] = 0.0f;
    }
}

/// Gathers col rows [k0, k0 + kc) × columns [j0, j0 + nc) for `group` into NR-wide panels.
static void pack_b_conv(const vk_impl *im, const vk_conv_geometry *g, long group, const float *x, long k0, long kc,
                        long j0, long nc, float *dst) {
    const int nr = im->nr;
    vk_conv_run runs[64];
    for (long p = 0; p < nc; p += nr) {
        long cols = nc - p < nr ? nc - p : nr;
        int count = vk_column_runs(g, j0 + p, cols, runs);
        im->gather(g, group, x, runs, count, k0, kc, nr, dst + p * kc);
    }
}

void vk_conv2d_forward(int isa, const vk_conv_geometry *g, long group, const float *x, const float *packed_w,
                       long m0, long m1, long col0, long col1, float *y, const vk_epilogue *epilogue) {
    if (m1 <= m0 || col1 <= col0) return;
    const vk_impl *im = vk_impl_for(isa);
    const int mr = im->mr, nr = im->nr;
    const long P = g->out_h * g->out_w;
    const long cout = g->out_channels, cout_g = cout / g->groups;
    const long K = g->in_channels / g->groups * g->kernel_h * g->kernel_w;
    const long kcb = vk_conv_k_block(K);
    const long mpad = (cout_g + mr - 1) / mr * mr;
    const long ncb = (CONV_NC_COLS / nr) * nr;
    const float *bias = epilogue ? epilogue->bias : 0;
    const float *residual = epilogue ? epilogue->residual : 0;
    const int activation = epilogue ? epilogue->activation : VK_ACT_NONE;
    float *pb = vk_workspace(2, (size_t)ncb * kcb);
    if (!pb) abort();
    // Blocks whose columns span several images accumulate into a scratch block (rows m0..m1 ×
    // nc, leading dimension nc), scattered into y with the epilogue after the last K block.
    float *scratch = 0;
    if (g->batch > 1) {
        scratch = vk_workspace(3, (size_t)(m1 - m0) * ncb);
        if (!scratch) abort();
    }
    for (long jc = col0; jc < col1; jc += ncb) {
        long nc = col1 - jc < ncb ? col1 - jc : ncb;
        long image0 = jc / P, pix0 = jc - image0 * P;
        int spans = pix0 + nc > P;
        for (long pc = 0; pc < K; pc += kcb) {
            long kc = K - pc < kcb ? K - pc : kcb;
            int first = pc == 0, last = pc + kc >= K;
            pack_b_conv(im, g, group, x, pc, kc, jc, nc, pb);
            for (long jr = 0; jr < nc; jr += nr) {
                int cols = (int)(nc - jr < nr ? nc - jr : nr);
                const float *bp = pb + jr * kc;
                for (long ir = m0; ir < m1; ir += mr) {
                    int rows = (int)(m1 - ir < mr ? m1 - ir : mr);
                    long co = group * cout_g + ir;
                    const float *ap = packed_w + pc * mpad + ir * kc;  // K block pc, panel ir/mr
                    if (spans) {
                        im->tile(kc, ap, bp, scratch + (ir - m0) * nc + jr, nc, rows, cols, !first, 0, 0, 0, VK_ACT_NONE);
                    } else {
                        long offset = (image0 * cout + co) * P + pix0 + jr;
                        im->tile(kc, ap, bp, y + offset, P, rows, cols, !first, last && bias ? bias + co : 0,
                                 last && residual ? residual + offset : 0, P, last ? activation : VK_ACT_NONE);
                    }
                }
            }
        }
        if (!spans) continue;
        // Scatter the block image by image: row m's columns [j, j + n) of one image are contiguous in y.
        for (long j = 0; j < nc;) {
            long col = jc + j, image = col / P, pix = col - image * P;
            long n = P - pix < nc - j ? P - pix : nc - j;
            for (long m = m0; m < m1; m += mr) {
                int rows = (int)(m1 - m < mr ? m1 - m : mr);
                long co = group * cout_g + m;
                long offset = (image * cout + co) * P + pix;
                vk_store_tile_scalar(scratch + (m - m0) * nc + j, nc, y + offset, P, rows, (int)n, 0,
                                     bias ? bias + co : 0, residual ? residual + offset : 0, P, activation);
            }
            j += n;
        }
    }
}

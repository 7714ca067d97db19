// Implicit-GEMM conv2d weight gradient: dW (Cout/g × K) += dY (Cout/g × L) · colᵀ (L × K), where
// L = N·OH·OW runs over the (image, output pixel) columns and K = Cin/g·kh·kw over the taps.
//
// Design. The contraction runs over columns in blocks of kc ≤ 256. Per block, the dY rows of the
// requested output channels are packed once into MR-row panels (A); then for each NR-wide panel of
// taps, B (kc × NR) is built from the input without a column matrix: the forward conv's gather
// fills an NR-tap × NR-column square (the same runs, masks and padding zeros as the forward), which
// the ISA's in-register transpose turns into NR rows of the panel. Each B panel serves every A
// panel, the micro-kernel accumulating straight into dW (row stride K). Every operand is packed
// once per call; threads take disjoint ranges of taps (or of output channels), so no reduction is
// needed. Taps go in blocks of up to 384: per NR columns, one gather call fills the whole block's
// rows (its run tables are made once, not once per tap panel), then each NR × NR square is
// transposed into its panel. The bias gradient is a plain sum of dY and stays with the caller.
#include "internal.h"
#include <stdlib.h>

/// Packs rows [m0, m1) of group `group`'s dY for columns [l0, l0 + kc) into MR-row panels.
static void pack_dy(const vk_conv_geometry *g, long group, const float *dy, long m0, long m1, long l0, long kc,
                    int mr, float *dst) {
    const long P = g->out_h * g->out_w, cout = g->out_channels, cout_g = cout / g->groups;
    for (long ir = m0; ir < m1; ir += mr) {
        const int rows = (int)(m1 - ir < mr ? m1 - ir : mr);
        float *d = dst + (ir - m0) * kc;
        for (long l = 0; l < kc;) {
            long col = l0 + l, image = col / P, pix = col - image * P;
            long n = P - pix < kc - l ? P - pix : kc - l;
            const float *s = dy + (image * cout + group * cout_g + ir) * P + pix;
            const float *streams[32];
            for (int i = 0; i < rows; i++) streams[i] = s + i * P;
            for (long t = 0; t < n; t++) {
                float *dk = d + (l + t) * mr;
                int i = 0;
                for (; i < rows; i++) dk[i] = streams[i][t];
                for (; i < mr; i++) dk[i] = 0.0f;
            }
            l += n;
        }
    }
}

enum { WGRAD_TAP_BLOCK = 384 };

void vk_conv2d_weight_grad(int isa, const vk_conv_geometry *g, long group, const float *x, const float *dy,
                           float *dw, long m0, long m1, long k0, long k1) {
    if (m1 <= m0 || k1 <= k0) return;
    const vk_impl *im = vk_impl_for(isa);
    const int mr = im->mr, nr = im->nr;
    const long K = g->in_channels / g->groups * g->kernel_h * g->kernel_w;
    const long L = g->batch * g->out_h * g->out_w;
    const long kcb = vk_balanced_kc(L, VK_CONV_KC_MAX);
    const long tap_block = (WGRAD_TAP_BLOCK / nr) * nr;
    const long rows_padded = (m1 - m0 + mr - 1) / mr * mr;
    float *pa = vk_workspace(0, (size_t)rows_padded * kcb);
    float *pb = vk_workspace(1, (size_t)kcb * tap_block);
    float *tall = vk_workspace(2, (size_t)tap_block * nr);
    if (!pa || !pb || !tall) abort();
    vk_conv_run runs[64];
    for (long l0 = 0; l0 < L; l0 += kcb) {
        const long kc = L - l0 < kcb ? L - l0 : kcb;
        pack_dy(g, group, dy, m0, m1, l0, kc, mr, pa);
        for (long t0 = k0; t0 < k1; t0 += tap_block) {
            const long taps = k1 - t0 < tap_block ? k1 - t0 : tap_block;
            const long panels = (taps + nr - 1) / nr;
            // Rows past the last tap stay zero: the gather writes only `taps` rows of `tall`.
            for (long i = taps * nr; i < panels * nr * nr; i++) tall[i] = 0.0f;
            // Per chunk of NR columns: one gather of every tap of the block (the run tables are
            // made once per chunk), then one transposed square per tap panel.
            for (long l = 0; l < kc; l += nr) {
                const long cols = kc - l < nr ? kc - l : nr;
                int count = vk_column_runs(g, l0 + l, cols, runs);
                im->gather(g, group, x, runs, count, t0, taps, nr, tall);
                for (long p = 0; p < panels; p++)
                    im->transpose(tall + p * nr * nr, pb + p * kc * nr + l * nr, (int)cols);
            }
            for (long p = 0; p < panels; p++) {
                const long jr = t0 + p * nr;
                const int width = (int)(k1 - jr < nr ? k1 - jr : nr);
                for (long ir = m0; ir < m1; ir += mr) {
                    const int rows = (int)(m1 - ir < mr ? m1 - ir : mr);
                    im->tile(kc, pa + (ir - m0) * kc, pb + p * kc * nr, dw + ir * K + jr, K, rows, width, 1, 0, 0, 0,
                             VK_ACT_NONE);
                }
            }
        }
    }
}

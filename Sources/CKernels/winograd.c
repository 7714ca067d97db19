// Winograd F(4×4, 3×3) conv2d forward for 3×3 stride-1 convs: the weight transform and the fused,
// cache-blocked driver (the per-ISA input/output transforms are in winograd_impl.h).
//
// Design. Each 4×4 output tile is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, d the tile's 6×6 input patch (tiles
// overlap by 2): 36 multiplies per (tile, Cin, Cout) instead of 144. Summed over input channels
// this is 36 independent GEMMs, M[ξ] (Cout × tiles) = U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles), one
// per transformed position ξ (Lavin & Gray, arXiv 1509.09308; the points are in winograd_impl.h).
// U is transformed once (in double, rounded once) and packed per ξ exactly as vk_pack_conv_weights
// packs a Cout × Cin weight, so the GEMMs run on the ISA's own micro-kernel. The tiles of all
// images of the batch form one index, cut into blocks of NR tiles (the micro-kernel's B panel
// width); per block:
//   1. the input transform writes V[ξ] as 36 packed Cin × NR panels (Cin·36·NR floats; in L2 up to
//      ~200 channels on AVX-512),
//   2. per block of MC output channels (36·MC·NR floats of M, ~216 KB): the 36 GEMMs of that
//      block (one micro-kernel call per MR rows and K block), then
//   3. the output transform with the epilogue (bias, residual, ReLU) writes y directly, clipping
//      the tiles at the right and bottom edges.
// Nothing of size tiles × 36 × channels is ever materialised.
#include "internal.h"
#include <stdlib.h>

/// Floats of M a channel block may take (36 · MC · NR): MC = 48 on AVX-512, 96 on AVX2.
enum { WINO_M_FLOATS = 55296 };

/// The transforms that go with the GEMM micro-kernel `im` (same ISA, same block of NR tiles).
static const vk_winograd_impl *winograd_impl_for(const vk_impl *im) {
#if defined(__x86_64__)
    if (im == &vk_impl_avx512) return &vk_winograd_avx512;
    if (im == &vk_impl_avx2) return &vk_winograd_avx2;
#endif
    (void)im;
    return &vk_winograd_portable;
}

size_t vk_winograd_weight_floats(int isa, long cout, long cin) { return 36 * vk_packed_a_floats(isa, cout, cin); }

/// 1-D G·(a, b, c) for points 0, 1, −1, 1/2, −2, ∞, G's rows scaled to match winograd_impl.h's Bᵀ
/// and Aᵀ: G = [1/2 0 0; 1/6 1/6 1/6; −1/6 1/6 −1/6; −2/15 −1/15 −1/30; 1/30 −1/15 2/15; 0 0 1/2].
static inline void winograd_g(double a, double b, double c, double *o, int so) {
    const double sixth = 1.0 / 6, thirtieth = 1.0 / 30;  // multiplies: divisions made this 4× slower
    o[0] = 0.5 * a;
    o[so] = (a + b + c) * sixth;
    o[2 * so] = (b - a - c) * sixth;
    o[3 * so] = -(4 * a + 2 * b + c) * thirtieth;
    o[4 * so] = (a - 2 * b + 4 * c) * thirtieth;
    o[5 * so] = 0.5 * c;
}

/// vk_winograd_pack_weights, of w itself or (`flipped`) of its transpose with the taps reversed.
static void pack_weights(int isa, int flipped, long cout, long cin, const float *w, float *packed, long co0, long co1) {
    const long mr = vk_gemm_mr(isa), mpad = (cout + mr - 1) / mr * mr, kcb = vk_conv_k_block(cin);
    const long stride = mpad * cin;
    long end = co1 >= cout ? mpad : co1;
    // Panel by panel and input channel by input channel, so that each of the 36 matrices receives
    // MR contiguous floats at a time (36 sequential write streams; lane-by-lane writes revisited
    // each cache line MR times and ran 10–30× slower).
    for (long panel = co0; panel < end; panel += mr) {
        for (long ci = 0; ci < cin; ci++) {
            long k0 = ci / kcb * kcb, kc = cin - k0 < kcb ? cin - k0 : kcb;
            float *d = packed + k0 * mpad + panel * kc + (ci - k0) * mr;
            float u[36][32];
            for (long lane = 0; lane < mr; lane++) {
                long co = panel + lane;
                if (co >= cout) {
                    for (int xi = 0; xi < 36; xi++) u[xi][lane] = 0.0f;
                    continue;
                }
                float f[9];
                const float *g = w + (co * cin + ci) * 9;
                if (flipped) {  // w is cin × cout × 3 × 3: g[t] = w[ci][co][8 − t]
                    const float *o = w + (ci * cout + co) * 9;
                    for (int t = 0; t < 9; t++) f[t] = o[8 - t];
                    g = f;
                }
                double t[6][3], r[6][6];  // G g, then (G g) Gᵀ, in double, rounded once
                for (int j = 0; j < 3; j++) winograd_g(g[j], g[3 + j], g[6 + j], &t[0][j], 3);
                for (int i = 0; i < 6; i++) winograd_g(t[i][0], t[i][1], t[i][2], &r[i][0], 1);
                for (int xi = 0; xi < 36; xi++) u[xi][lane] = (float)r[xi / 6][xi % 6];
            }
            for (int xi = 0; xi < 36; xi++)
                for (long lane = 0; lane < mr; lane++) d[xi * stride + lane] = u[xi][lane];
        }
    }
}

void vk_winograd_pack_weights(int isa, long cout, long cin, const float *w, float *packed, long co0, long co1) {
    pack_weights(isa, 0, cout, cin, w, packed, co0, co1);
}

void vk_winograd_pack_weights_flipped(int isa, long cout, long cin, const float *w, float *packed, long co0, long co1) {
    pack_weights(isa, 1, cout, cin, w, packed, co0, co1);
}

/// Cuts tiles [t0, t0 + n) into runs of one tile row each.
static int winograd_runs(const vk_conv_geometry *g, long t0, long n, vk_wino_run *runs) {
    const long tw = (g->out_w + 3) / 4, per_image = (g->out_h + 3) / 4 * tw;
    int count = 0;
    for (long j = 0; j < n;) {
        long t = t0 + j, image = t / per_image, rest = t - image * per_image, tr = rest / tw, tc = rest - tr * tw;
        long len = tw - tc < n - j ? tw - tc : n - j;
        runs[count++] = (vk_wino_run){image, tr, tc, len, j};
        j += len;
    }
    return count;
}

void vk_winograd_forward(int isa, const vk_conv_geometry *g, const float *x, const float *u, long m0, long m1,
                         long tile0, long tile1, float *y, const vk_epilogue *epilogue) {
    if (m1 <= m0 || tile1 <= tile0) return;
    const vk_impl *im = vk_impl_for(isa);
    const vk_winograd_impl *wi = winograd_impl_for(im);
    const int mr = im->mr, nr = im->nr;
    const long cin = g->in_channels, cout = g->out_channels;
    const long mpad = (cout + mr - 1) / mr * mr, ustride = mpad * cin, kcb = vk_conv_k_block(cin);
    long mc = WINO_M_FLOATS / (36 * nr) / mr * mr;
    if (mc < mr) mc = mr;
    if (wi->tiles != nr) abort();
    float *v = vk_workspace(4, (size_t)36 * cin * nr + wi->rows_floats);
    float *m = vk_workspace(5, (size_t)36 * mc * nr);
    if (!v || !m) abort();
    vk_wino_run runs[64];
    for (long t0 = tile0; t0 < tile1; t0 += nr) {
        int cols = (int)(tile1 - t0 < nr ? tile1 - t0 : nr);
        int count = winograd_runs(g, t0, cols, runs);
        wi->input(g, x, runs, count, v, v + 36 * cin * nr);
        for (long cb = m0; cb < m1; cb += mc) {
            long ce = m1 - cb < mc ? m1 : cb + mc;
            for (int xi = 0; xi < 36; xi++) {
                const float *ux = u + xi * ustride;
                const float *vx = v + (long)xi * cin * nr;
                float *mx = m + (long)xi * mc * nr;
                for (long ir = cb; ir < ce; ir += mr) {
                    int rows = (int)(ce - ir < mr ? ce - ir : mr);
                    for (long pc = 0; pc < cin; pc += kcb) {
                        long kc = cin - pc < kcb ? cin - pc : kcb;
                        im->tile(kc, ux + pc * mpad + ir * kc, vx + pc * nr, mx + (ir - cb) * nr, nr, rows, nr, pc > 0, 0, 0,
                                 0, VK_ACT_NONE);
                    }
                }
            }
            wi->output(g, m, mc * nr, runs, count, cb, ce, y, epilogue);
        }
    }
}

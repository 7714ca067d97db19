// Depthwise conv2d forward (groups = Cin, Cout = multiplier · Cin): MobileNet's, EfficientNet's,
// ConvNeXt's 3×3, 5×5 and 7×7 convs, one output plane at a time.
//
// Design. A depthwise conv has no reduction over channels, so the implicit GEMM's per-group
// products (one output row × kh·kw) leave a vector unit idle; here each output plane is its input
// plane's kh·kw-tap stencil. The input plane is copied once, zero-padded and with zeroed slack
// after it, so the row kernel (depthwise_impl.h) reads whole vectors of outputs at every tap
// without bounds tests; the copy is reused by the `multiplier` output planes of one input plane.
// The epilogue (bias, residual, ReLU) is applied as each vector is stored. The weight gradient
// runs the same way per (channel, image): each tap's sum of dY times the input it read, vectors
// along dY's rows reduced once per plane, channels split across threads.
#include "internal.h"
#include <stdlib.h>
#include <string.h>

static const vk_depthwise_impl *depthwise_impl_for(int isa) {
    const vk_impl *im = vk_impl_for(isa);
#if defined(__x86_64__)
    if (im == &vk_impl_avx512) return &vk_depthwise_avx512;
    if (im == &vk_impl_avx2) return &vk_depthwise_avx2;
#endif
    (void)im;
    return &vk_depthwise_portable;
}

/// This thread's buffer for one padded input plane (rows `wp` floats apart), followed by zeroed
/// slack: the last vector of a row reads up to two vectors of strided lanes past its first output.
static float *padded_plane_buffer(const vk_depthwise_impl *im, const vk_conv_geometry *g, long *wp) {
    const long hp = g->height + 2 * g->pad_h;
    *wp = g->width + 2 * g->pad_w;
    const long slack = 2 * (long)im->vec * (g->stride_w + 1) + g->kernel_w * g->dilation_w + 16;
    float *xp = vk_workspace(8, (size_t)(hp * *wp + slack));
    if (!xp) abort();
    memset(xp + hp * *wp, 0, sizeof(float) * (size_t)slack);
    return xp;
}

void vk_conv2d_depthwise(int isa, const vk_conv_geometry *g, const float *x, const float *w, float *y,
                         const vk_epilogue *epilogue, long plane0, long plane1) {
    if (plane1 <= plane0) return;
    const vk_depthwise_impl *im = depthwise_impl_for(isa);
    const long cin = g->in_channels, cout = g->out_channels, multiplier = cout / cin;
    const long H = g->height, W = g->width, ph = g->pad_h, pw = g->pad_w;
    const long taps = g->kernel_h * g->kernel_w, P = g->out_h * g->out_w;
    long wp;
    float *xp = padded_plane_buffer(im, g, &wp);
    const float *bias = epilogue ? epilogue->bias : 0, *residual = epilogue ? epilogue->residual : 0;
    const int relu = epilogue && epilogue->activation == VK_ACT_RELU;
    long padded = -1;  // the input plane xp holds
    for (long plane = plane0; plane < plane1; plane++) {
        const long image = plane / cout, oc = plane - image * cout, source = image * cin + oc / multiplier;
        if (source != padded) {
            vk_pad_plane(x + source * H * W, xp, H, W, ph, pw);
            padded = source;
        }
        const float *wk = w + oc * taps;
        const float b = bias ? bias[oc] : 0.0f;
        float *out = y + plane * P;
        const float *res = residual ? residual + plane * P : 0;
        for (long oh = 0; oh < g->out_h; oh++)
            im->row(g, xp, wp, wk, b, res ? res + oh * g->out_w : 0, relu, out + oh * g->out_w, oh);
    }
}

void vk_conv2d_depthwise_weight_grad(int isa, const vk_conv_geometry *g, const float *x, const float *dy, float *dw,
                                     float *db, long c0, long c1) {
    if (c1 <= c0) return;
    const vk_depthwise_impl *im = depthwise_impl_for(isa);
    const long c = g->in_channels, H = g->height, W = g->width, ph = g->pad_h, pw = g->pad_w, P = g->out_h * g->out_w;
    long wp;
    float *xp = padded_plane_buffer(im, g, &wp);
    for (long ch = c0; ch < c1; ch++) {
        for (long image = 0; image < g->batch; image++) {
            const long plane = image * c + ch;
            vk_pad_plane(x + plane * H * W, xp, H, W, ph, pw);
            im->weight_grad(g, xp, wp, dy + plane * P, dw + ch * g->kernel_h * g->kernel_w, db ? db + ch : 0);
        }
    }
}

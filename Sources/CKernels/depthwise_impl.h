// The depthwise conv's row kernel (conv_depthwise.c), written once with clang's vector types and
// compiled per ISA: each including file sets VEC_WIDTH (floats per vector), DEPTHWISE_IMPL
// (the name of the vk_depthwise_impl it defines) and the target pragma.
//
// One output row of one plane: vectors of VEC_WIDTH consecutive outputs, two at a time where
// the row is long enough (each tap's weight broadcast serves both), each the sum over the taps of
// weight × the padded input row read at the tap's offset (stride 1: a plain vector load; stride 2:
// the even lanes of two loads; other strides: lane by lane). Rows are padded with slack, so the
// last, partial vector reads past the row's end harmlessly and stores only its valid lanes.
// The weight gradient walks one plane the same way: per tap a vector of partial sums of dY times
// the input that tap read (the last, partial vector's lanes past the row masked to 0), reduced
// pairwise once per plane. Tap widths 3, 5, 7 and strides 1, 2 are compiled as constants.
#include "internal.h"
#include "vector_impl.h"

#if !defined(DEPTHWISE_IMPL)
#error "define DEPTHWISE_IMPL (and VEC_WIDTH) first"
#endif
#if defined(__x86_64__) && VEC_WIDTH >= 8
#include <immintrin.h>
#endif

/// The first n < VEC_WIDTH floats at p, the other lanes 0; and the store of v's first n lanes:
/// the ISA's masked moves (AVX-512, AVX2), else float by float.
static inline vec_f32 dw_load_partial(const float *p, long n) {
#if defined(__x86_64__) && VEC_WIDTH == 16
    return (vec_f32)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
#elif defined(__x86_64__) && VEC_WIDTH == 8
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return (vec_f32)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes));
#else
    vec_f32 v = (vec_f32)0.0f;
    for (long l = 0; l < n; l++) v[l] = p[l];
    return v;
#endif
}

static inline void dw_store_partial(float *p, vec_f32 v, long n) {
#if defined(__x86_64__) && VEC_WIDTH == 16
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), (__m512)v);
#elif defined(__x86_64__) && VEC_WIDTH == 8
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes), (__m256)v);
#else
    for (long l = 0; l < n; l++) p[l] = v[l];
#endif
}

/// Lanes below zero become +0; NaN (not below zero) passes, as in the other epilogues.
static inline vec_f32 dw_relu(vec_f32 v) {
    const vec_i32 negative = v < 0.0f;
    vec_i32 bits;
    __builtin_memcpy(&bits, &v, sizeof v);
    bits &= ~negative;
    __builtin_memcpy(&v, &bits, sizeof v);
    return v;
}

/// Lanes 0, s, 2s, … of p (s = stride).
static inline vec_f32 dw_load_strided(const float *p, long s) {
    if (s == 1) return vec_load(p);
    if (s == 2) {
        const vec_f32 a = vec_load(p), b = vec_load(p + VEC_WIDTH);
#if VEC_WIDTH == 16
        return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
#elif VEC_WIDTH == 8
        return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
#else
        return __builtin_shufflevector(a, b, 0, 2, 4, 6);
#endif
    }
    vec_f32 v;
    for (int l = 0; l < VEC_WIDTH; l++) v[l] = p[l * s];
    return v;
}

/// Applies the epilogue to n ≤ VEC_WIDTH outputs and stores them at out.
static inline void dw_finish(vec_f32 v, const float *res, int relu, float *out, long n) {
    if (n == VEC_WIDTH) {
        if (res) v += vec_load(res);
        if (relu) v = dw_relu(v);
        __builtin_memcpy(out, &v, sizeof v);
        return;
    }
    // A partial vector: the ISA's masked load and store (a copy through the stack stalled on
    // store-to-load forwarding and cost half of a 56-wide map's time).
    if (res) v += dw_load_partial(res, n);
    if (relu) v = dw_relu(v);
    dw_store_partial(out, v, n);
}

/// Output row `oh` of one plane for a constant tap width KW and stride S (0: the runtime ones):
/// `xp` the padded input plane (rows `wp` floats apart, with slack), `w` the plane's kh × kw
/// weights, `bias` its bias, `res` the residual row or NULL.
static inline __attribute__((always_inline)) void depthwise_row_as(const vk_conv_geometry *g, const float *xp, long wp,
                                                                  const float *w, float bias, const float *res, int relu,
                                                                  float *out, long oh, const long KW, const long S) {
    const long kh = g->kernel_h, kw = KW ? KW : g->kernel_w, sw = S ? S : g->stride_w, OW = g->out_w;
    const long dh = g->dilation_h * wp, dwc = g->dilation_w;
    const float *top = xp + oh * g->stride_h * wp;
    long ow = 0;
    for (; ow + 2 * VEC_WIDTH <= OW; ow += 2 * VEC_WIDTH) {
        vec_f32 a = (vec_f32)bias, b = (vec_f32)bias;
        for (long i = 0; i < kh; i++) {
            const float *row = top + i * dh + ow * sw;
            const float *wr = w + i * kw;
            for (long j = 0; j < kw; j++) {
                const vec_f32 wv = (vec_f32)wr[j];
                a = VEC_FMA(dw_load_strided(row + j * dwc, sw), wv, a);
                b = VEC_FMA(dw_load_strided(row + j * dwc + VEC_WIDTH * sw, sw), wv, b);
            }
        }
        dw_finish(a, res ? res + ow : 0, relu, out + ow, VEC_WIDTH);
        dw_finish(b, res ? res + ow + VEC_WIDTH : 0, relu, out + ow + VEC_WIDTH, VEC_WIDTH);
    }
    for (; ow < OW; ow += VEC_WIDTH) {
        vec_f32 a = (vec_f32)bias;
        for (long i = 0; i < kh; i++) {
            const float *row = top + i * dh + ow * sw;
            const float *wr = w + i * kw;
            for (long j = 0; j < kw; j++) a = VEC_FMA(dw_load_strided(row + j * dwc, sw), (vec_f32)wr[j], a);
        }
        const long n = OW - ow < VEC_WIDTH ? OW - ow : VEC_WIDTH;
        dw_finish(a, res ? res + ow : 0, relu, out + ow, n);
    }
}

/// The row kernel, with the tap width and stride of MobileNet's, EfficientNet's and ConvNeXt's
/// convs (3, 5 or 7 taps; stride 1 or 2) made constants so their loops unroll.
static void depthwise_row(const vk_conv_geometry *g, const float *xp, long wp, const float *w, float bias,
                          const float *res, int relu, float *out, long oh) {
    const long kw = g->kernel_w, s = g->stride_w;
#define DEPTHWISE_CASE(K, S) if (kw == K && s == S) return depthwise_row_as(g, xp, wp, w, bias, res, relu, out, oh, K, S)
    DEPTHWISE_CASE(3, 1); DEPTHWISE_CASE(3, 2); DEPTHWISE_CASE(5, 1); DEPTHWISE_CASE(5, 2); DEPTHWISE_CASE(7, 1);
#undef DEPTHWISE_CASE
    depthwise_row_as(g, xp, wp, w, bias, res, relu, out, oh, 0, 0);
}

/// The sum of v's lanes, in a fixed order (pairs, then pairs of pairs).
static inline float dw_sum(vec_f32 v) {
    float lanes[VEC_WIDTH];
    __builtin_memcpy(lanes, &v, sizeof v);
    for (int width = VEC_WIDTH / 2; width > 0; width /= 2)
        for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
    return lanes[0];
}

enum { DEPTHWISE_MAX_TAPS = 49 };

/// One plane's contribution to its channel's weight gradient, for a constant tap width KW and
/// stride S (0: the runtime ones): per tap a vector of partial sums over the rows of dY.
static inline __attribute__((always_inline)) void depthwise_weight_grad_as(const vk_conv_geometry *g, const float *xp,
                                                                          long wp, const float *dy, float *dw, float *db,
                                                                          const long KW, const long S) {
    const long kh = g->kernel_h, kw = KW ? KW : g->kernel_w, sw = S ? S : g->stride_w, OW = g->out_w;
    const long dh = g->dilation_h * wp, dwc = g->dilation_w, taps = kh * kw;
    vec_f32 acc[DEPTHWISE_MAX_TAPS], bias = (vec_f32)0.0f;
    for (long t = 0; t < taps; t++) acc[t] = (vec_f32)0.0f;
    for (long oh = 0; oh < g->out_h; oh++) {
        const float *top = xp + oh * g->stride_h * wp, *grad = dy + oh * OW;
        for (long ow = 0; ow < OW; ow += VEC_WIDTH) {
            const long n = OW - ow < VEC_WIDTH ? OW - ow : VEC_WIDTH;
            if (n == VEC_WIDTH) {
                const vec_f32 d = vec_load(grad + ow);
                bias += d;
                for (long i = 0; i < kh; i++) {
                    const float *row = top + i * dh + ow * sw;
                    for (long j = 0; j < kw; j++) acc[i * kw + j] = VEC_FMA(dw_load_strided(row + j * dwc, sw), d, acc[i * kw + j]);
                }
                continue;
            }
            // The row's last, partial vector: the input lanes past the row are masked to 0 as well
            // (0 × an infinity read from the next row would be NaN).
            const vec_f32 d = dw_load_partial(grad + ow, n);
            vec_i32 valid;
            for (int l = 0; l < VEC_WIDTH; l++) valid[l] = l < n ? -1 : 0;
            bias += d;
            for (long i = 0; i < kh; i++) {
                const float *row = top + i * dh + ow * sw;
                for (long j = 0; j < kw; j++) {
                    vec_f32 v = dw_load_strided(row + j * dwc, sw);
                    vec_i32 bits;
                    __builtin_memcpy(&bits, &v, sizeof v);
                    bits &= valid;
                    __builtin_memcpy(&v, &bits, sizeof v);
                    acc[i * kw + j] = VEC_FMA(v, d, acc[i * kw + j]);
                }
            }
        }
    }
    for (long t = 0; t < taps; t++) dw[t] += dw_sum(acc[t]);
    if (db) *db += dw_sum(bias);
}

static void depthwise_weight_grad(const vk_conv_geometry *g, const float *xp, long wp, const float *dy, float *dw, float *db) {
    const long kw = g->kernel_w, s = g->stride_w;
#define DEPTHWISE_CASE(K, S) if (kw == K && s == S) return depthwise_weight_grad_as(g, xp, wp, dy, dw, db, K, S)
    DEPTHWISE_CASE(3, 1); DEPTHWISE_CASE(3, 2); DEPTHWISE_CASE(5, 1); DEPTHWISE_CASE(5, 2); DEPTHWISE_CASE(7, 1);
#undef DEPTHWISE_CASE
    depthwise_weight_grad_as(g, xp, wp, dy, dw, db, 0, 0);
}

const vk_depthwise_impl DEPTHWISE_IMPL = {VEC_WIDTH, depthwise_row, depthwise_weight_grad};

// The transcendental activations (activation.c), written once with clang's vector types and
// compiled per ISA: each including file sets VEC_WIDTH (floats per vector), ACT_IMPL (the name of
// the vk_activation_impl it defines) and the target pragma.
//
// exp: x clamped to [−104, 89] (NaN passes through the compare-and-select clamps), n =
// round(x·log₂e) by the 1.5·2²³ trick, r = x − n·ln 2 in two parts (Cody–Waite), e^r by its
// Taylor polynomial to degree 7 (|r| ≤ ln 2 / 2: truncation 5·10⁻⁹ relative), scaled by 2^n
// built in the exponent bits of two factors (so overflow and subnormals come out as libm's).
// Φ (GELU's normal CDF) comes from erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), the Chebyshev
// fit of Numerical Recipes §6.2 (fractional error below 1.2·10⁻⁷ everywhere), at z = |x|/√2:
// Φ = h or 1 − h with h = erfc(z)/2, so the left tail keeps its relative accuracy; z² = x²/2 is
// carried exactly (x·x plus its FMA rounding error) into the exponential's range reduction.
// Partial vectors at the end of a run go through a stack buffer.
#include "internal.h"
#include "vector_impl.h"

#if !defined(ACT_IMPL)
#error "define ACT_IMPL (and VEC_WIDTH) first"
#endif

/// a where mask is set (all ones), else b.
static inline vec_f32 act_select(vec_i32 mask, vec_f32 a, vec_f32 b) {
    return (vec_f32)(((vec_i32)a & mask) | ((vec_i32)b & ~mask));
}

/// e^(a + b), b small beside a: the range reduction subtracts n·ln 2 from a before b is added,
/// so a large a (GELU's −x²/2) loses nothing to the rounding of a + b.
static inline vec_f32 act_exp_sum(vec_f32 a, vec_f32 b) {
    const vec_f32 hi = 89.0f, lo = -104.0f;  // beyond them e^x is ∞ or 0 in floats
    a = act_select(a > hi, hi, a);
    a = act_select(a < lo, lo, a);
    const vec_f32 magic = 12582912.0f;  // 1.5·2²³: adding it rounds to an integer
    vec_f32 n = ((a + b) * 1.44269504088896341f + magic) - magic;
    vec_f32 r = VEC_FMA(n, (vec_f32)-0.693359375f, a) + b;  // n·ln2_hi is exact; a − it too (Sterbenz)
    r = VEC_FMA(n, (vec_f32)2.12194440e-4f, r);
    vec_f32 p = 1.0f / 5040;
    p = VEC_FMA(p, r, (vec_f32)(1.0f / 720));
    p = VEC_FMA(p, r, (vec_f32)(1.0f / 120));
    p = VEC_FMA(p, r, (vec_f32)(1.0f / 24));
    p = VEC_FMA(p, r, (vec_f32)(1.0f / 6));
    p = VEC_FMA(p, r, (vec_f32)0.5f);
    p = VEC_FMA(p, r, (vec_f32)1.0f);
    p = VEC_FMA(p, r, (vec_f32)1.0f);
    // 2^n as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋): both factors normal for n in [−151, 129], so the products
    // overflow to ∞ and fade through the subnormals to 0 as e^x does.
    vec_i32 ni = __builtin_convertvector(n, vec_i32);
    vec_i32 n1 = ni >> 1, n2 = ni - n1;
    return p * (vec_f32)((n1 + 127) << 23) * (vec_f32)((n2 + 127) << 23);
}

static inline vec_f32 act_exp(vec_f32 x) { return act_exp_sum(x, (vec_f32)0.0f); }

/// The rounding error of xx = x·x: x² = xx + the result exactly (FMA, or Dekker's split).
static inline vec_f32 act_square_error(vec_f32 x, vec_f32 xx) {
#if defined(VEC_SEPARATE_MULTIPLY_ADD)
    vec_f32 c = 4097.0f * x;
    vec_f32 h = c - (c - x), l = x - h;
    return ((h * h - xx) + 2.0f * h * l) + l * l;
#else
    return __builtin_elementwise_fma(x, x, -xx);
#endif
}

/// ½·erfc(|x|/√2), the normal CDF's tail beyond |x|, and e^(−x²/2) (GELU's gradient needs both),
/// with −x²/2 carried exactly into the exponentials. Zero tail past |x| = 14 (below 10⁻⁴⁴).
static inline vec_f32 act_normal_tail(vec_f32 x, vec_f32 *gauss) {
    vec_f32 xx = x * x, xx_error = act_square_error(x, xx);
    vec_f32 z = __builtin_elementwise_abs(x) * 0.70710678118654752f;
    vec_f32 t = 1.0f / VEC_FMA(z, (vec_f32)0.5f, (vec_f32)1.0f);
    vec_f32 p = 0.17087277f;
    p = VEC_FMA(p, t, (vec_f32)-0.82215223f);
    p = VEC_FMA(p, t, (vec_f32)1.48851587f);
    p = VEC_FMA(p, t, (vec_f32)-1.13520398f);
    p = VEC_FMA(p, t, (vec_f32)0.27886807f);
    p = VEC_FMA(p, t, (vec_f32)-0.18628806f);
    p = VEC_FMA(p, t, (vec_f32)0.09678418f);
    p = VEC_FMA(p, t, (vec_f32)0.37409196f);
    p = VEC_FMA(p, t, (vec_f32)1.00002368f);
    p = VEC_FMA(p, t, (vec_f32)-1.26551223f);
    vec_f32 half_square = -0.5f * xx, half_error = -0.5f * xx_error;
    if (gauss) *gauss = act_exp_sum(half_square, half_error);
    vec_f32 tail = 0.5f * t * act_exp_sum(half_square, p + half_error);
    return act_select(__builtin_elementwise_abs(x) > 14.0f, (vec_f32)0.0f, tail);
}

/// Φ(x) = P(X ≤ x) for a standard normal X.
static inline vec_f32 act_normal_cdf(vec_f32 x, vec_f32 *gauss) {
    vec_f32 h = act_normal_tail(x, gauss);
    return act_select(x < 0.0f, h, 1.0f - h);
}

static inline vec_f32 act_forward(int kind, vec_f32 x) {
    switch (kind) {
    case VK_ACTIVATION_SILU: return x / (1.0f + act_exp(-x));
    case VK_ACTIVATION_SIGMOID: return 1.0f / (1.0f + act_exp(-x));
    default: return x * act_normal_cdf(x, 0);  // VK_ACTIVATION_GELU
    }
}

static inline vec_f32 act_gradient(int kind, vec_f32 g, vec_f32 x) {
    switch (kind) {
    case VK_ACTIVATION_SILU: {
        vec_f32 s = 1.0f / (1.0f + act_exp(-x));
        return g * s * VEC_FMA(x, 1.0f - s, (vec_f32)1.0f);
    }
    case VK_ACTIVATION_SIGMOID: {
        vec_f32 s = 1.0f / (1.0f + act_exp(-x));
        return g * s * (1.0f - s);
    }
    default: {  // GELU: Φ(x) + x·φ(x)
        vec_f32 gauss, cdf = act_normal_cdf(x, &gauss);
        return g * VEC_FMA(x, gauss * 0.39894228040143268f, cdf);
    }
    }
}

static void act_forward_run(int kind, const float *x, float *y, long n) {
    long i = 0;
    switch (kind) {  // the kind's switch hoisted out of the loop
    case VK_ACTIVATION_SILU:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH) vec_store(y + i, act_forward(VK_ACTIVATION_SILU, vec_load(x + i)));
        break;
    case VK_ACTIVATION_SIGMOID:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH) vec_store(y + i, act_forward(VK_ACTIVATION_SIGMOID, vec_load(x + i)));
        break;
    default:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH) vec_store(y + i, act_forward(VK_ACTIVATION_GELU, vec_load(x + i)));
        break;
    }
    if (i < n) {
        float buffer[VEC_WIDTH] = {0};
        __builtin_memcpy(buffer, x + i, (size_t)(n - i) * sizeof(float));
        vec_store(buffer, act_forward(kind, vec_load(buffer)));
        __builtin_memcpy(y + i, buffer, (size_t)(n - i) * sizeof(float));
    }
}

static void act_gradient_run(int kind, const float *g, const float *x, float *dx, long n) {
    long i = 0;
    switch (kind) {
    case VK_ACTIVATION_SILU:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH)
            vec_store(dx + i, act_gradient(VK_ACTIVATION_SILU, vec_load(g + i), vec_load(x + i)));
        break;
    case VK_ACTIVATION_SIGMOID:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH)
            vec_store(dx + i, act_gradient(VK_ACTIVATION_SIGMOID, vec_load(g + i), vec_load(x + i)));
        break;
    default:
        for (; i + VEC_WIDTH <= n; i += VEC_WIDTH)
            vec_store(dx + i, act_gradient(VK_ACTIVATION_GELU, vec_load(g + i), vec_load(x + i)));
        break;
    }
    if (i < n) {
        float gb[VEC_WIDTH] = {0}, xb[VEC_WIDTH] = {0};
        __builtin_memcpy(gb, g + i, (size_t)(n - i) * sizeof(float));
        __builtin_memcpy(xb, x + i, (size_t)(n - i) * sizeof(float));
        vec_store(gb, act_gradient(kind, vec_load(gb), vec_load(xb)));
        __builtin_memcpy(dx + i, gb, (size_t)(n - i) * sizeof(float));
    }
}

const vk_activation_impl ACT_IMPL = {VEC_WIDTH, act_forward_run, act_gradient_run};

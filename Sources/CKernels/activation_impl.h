// The transcendental activations (activation.c), written once with clang's vector types and
// compiled per ISA: each including file sets ACT_VEC (floats per vector), ACT_IMPL (the name of
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

#if !defined(ACT_VEC) || !defined(ACT_IMPL)
#error "define ACT_VEC and ACT_IMPL first"
#endif

#if defined(ACT_SEPARATE_MULTIPLY_ADD)
#define ACT_FMA(a, b, c) ((c) + (a) * (b))
#else
#define ACT_FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#endif

typedef float act_vec __attribute__((ext_vector_type(ACT_VEC)));
typedef int act_ivec __attribute__((ext_vector_type(ACT_VEC)));

static inline act_vec act_load(const float *p) {
    act_vec v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void act_store(float *p, act_vec v) { __builtin_memcpy(p, &v, sizeof v); }

/// a where mask is set (all ones), else b.
static inline act_vec act_select(act_ivec mask, act_vec a, act_vec b) {
    return (act_vec)(((act_ivec)a & mask) | ((act_ivec)b & ~mask));
}

/// e^(a + b), b small beside a: the range reduction subtracts n·ln 2 from a before b is added,
/// so a large a (GELU's −x²/2) loses nothing to the rounding of a + b.
static inline act_vec act_exp_sum(act_vec a, act_vec b) {
    const act_vec hi = 89.0f, lo = -104.0f;  // beyond them e^x is ∞ or 0 in floats
    a = act_select(a > hi, hi, a);
    a = act_select(a < lo, lo, a);
    const act_vec magic = 12582912.0f;  // 1.5·2²³: adding it rounds to an integer
    act_vec n = ((a + b) * 1.44269504088896341f + magic) - magic;
    act_vec r = ACT_FMA(n, (act_vec)-0.693359375f, a) + b;  // n·ln2_hi is exact; a − it too (Sterbenz)
    r = ACT_FMA(n, (act_vec)2.12194440e-4f, r);
    act_vec p = 1.0f / 5040;
    p = ACT_FMA(p, r, (act_vec)(1.0f / 720));
    p = ACT_FMA(p, r, (act_vec)(1.0f / 120));
    p = ACT_FMA(p, r, (act_vec)(1.0f / 24));
    p = ACT_FMA(p, r, (act_vec)(1.0f / 6));
    p = ACT_FMA(p, r, (act_vec)0.5f);
    p = ACT_FMA(p, r, (act_vec)1.0f);
    p = ACT_FMA(p, r, (act_vec)1.0f);
    // 2^n as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋): both factors normal for n in [−151, 129], so the products
    // overflow to ∞ and fade through the subnormals to 0 as e^x does.
    act_ivec ni = __builtin_convertvector(n, act_ivec);
    act_ivec n1 = ni >> 1, n2 = ni - n1;
    return p * (act_vec)((n1 + 127) << 23) * (act_vec)((n2 + 127) << 23);
}

static inline act_vec act_exp(act_vec x) { return act_exp_sum(x, (act_vec)0.0f); }

/// The rounding error of xx = x·x: x² = xx + the result exactly (FMA, or Dekker's split).
static inline act_vec act_square_error(act_vec x, act_vec xx) {
#if defined(ACT_SEPARATE_MULTIPLY_ADD)
    act_vec c = 4097.0f * x;
    act_vec h = c - (c - x), l = x - h;
    return ((h * h - xx) + 2.0f * h * l) + l * l;
#else
    return __builtin_elementwise_fma(x, x, -xx);
#endif
}

/// ½·erfc(|x|/√2), the normal CDF's tail beyond |x|, and e^(−x²/2) (GELU's gradient needs both),
/// with −x²/2 carried exactly into the exponentials. Zero tail past |x| = 14 (below 10⁻⁴⁴).
static inline act_vec act_normal_tail(act_vec x, act_vec *gauss) {
    act_vec xx = x * x, xx_error = act_square_error(x, xx);
    act_vec z = __builtin_elementwise_abs(x) * 0.70710678118654752f;
    act_vec t = 1.0f / ACT_FMA(z, (act_vec)0.5f, (act_vec)1.0f);
    act_vec p = 0.17087277f;
    p = ACT_FMA(p, t, (act_vec)-0.82215223f);
    p = ACT_FMA(p, t, (act_vec)1.48851587f);
    p = ACT_FMA(p, t, (act_vec)-1.13520398f);
    p = ACT_FMA(p, t, (act_vec)0.27886807f);
    p = ACT_FMA(p, t, (act_vec)-0.18628806f);
    p = ACT_FMA(p, t, (act_vec)0.09678418f);
    p = ACT_FMA(p, t, (act_vec)0.37409196f);
    p = ACT_FMA(p, t, (act_vec)1.00002368f);
    p = ACT_FMA(p, t, (act_vec)-1.26551223f);
    act_vec half_square = -0.5f * xx, half_error = -0.5f * xx_error;
    if (gauss) *gauss = act_exp_sum(half_square, half_error);
    act_vec tail = 0.5f * t * act_exp_sum(half_square, p + half_error);
    return act_select(__builtin_elementwise_abs(x) > 14.0f, (act_vec)0.0f, tail);
}

/// Φ(x) = P(X ≤ x) for a standard normal X.
static inline act_vec act_normal_cdf(act_vec x, act_vec *gauss) {
    act_vec h = act_normal_tail(x, gauss);
    return act_select(x < 0.0f, h, 1.0f - h);
}

static inline act_vec act_forward(int kind, act_vec x) {
    switch (kind) {
    case VK_ACTIVATION_SILU: return x / (1.0f + act_exp(-x));
    case VK_ACTIVATION_SIGMOID: return 1.0f / (1.0f + act_exp(-x));
    default: return x * act_normal_cdf(x, 0);  // VK_ACTIVATION_GELU
    }
}

static inline act_vec act_gradient(int kind, act_vec g, act_vec x) {
    switch (kind) {
    case VK_ACTIVATION_SILU: {
        act_vec s = 1.0f / (1.0f + act_exp(-x));
        return g * s * ACT_FMA(x, 1.0f - s, (act_vec)1.0f);
    }
    case VK_ACTIVATION_SIGMOID: {
        act_vec s = 1.0f / (1.0f + act_exp(-x));
        return g * s * (1.0f - s);
    }
    default: {  // GELU: Φ(x) + x·φ(x)
        act_vec gauss, cdf = act_normal_cdf(x, &gauss);
        return g * ACT_FMA(x, gauss * 0.39894228040143268f, cdf);
    }
    }
}

static void act_forward_run(int kind, const float *x, float *y, long n) {
    long i = 0;
    switch (kind) {  // the kind's switch hoisted out of the loop
    case VK_ACTIVATION_SILU:
        for (; i + ACT_VEC <= n; i += ACT_VEC) act_store(y + i, act_forward(VK_ACTIVATION_SILU, act_load(x + i)));
        break;
    case VK_ACTIVATION_SIGMOID:
        for (; i + ACT_VEC <= n; i += ACT_VEC) act_store(y + i, act_forward(VK_ACTIVATION_SIGMOID, act_load(x + i)));
        break;
    default:
        for (; i + ACT_VEC <= n; i += ACT_VEC) act_store(y + i, act_forward(VK_ACTIVATION_GELU, act_load(x + i)));
        break;
    }
    if (i < n) {
        float buffer[ACT_VEC] = {0};
        __builtin_memcpy(buffer, x + i, (size_t)(n - i) * sizeof(float));
        act_store(buffer, act_forward(kind, act_load(buffer)));
        __builtin_memcpy(y + i, buffer, (size_t)(n - i) * sizeof(float));
    }
}

static void act_gradient_run(int kind, const float *g, const float *x, float *dx, long n) {
    long i = 0;
    switch (kind) {
    case VK_ACTIVATION_SILU:
        for (; i + ACT_VEC <= n; i += ACT_VEC)
            act_store(dx + i, act_gradient(VK_ACTIVATION_SILU, act_load(g + i), act_load(x + i)));
        break;
    case VK_ACTIVATION_SIGMOID:
        for (; i + ACT_VEC <= n; i += ACT_VEC)
            act_store(dx + i, act_gradient(VK_ACTIVATION_SIGMOID, act_load(g + i), act_load(x + i)));
        break;
    default:
        for (; i + ACT_VEC <= n; i += ACT_VEC)
            act_store(dx + i, act_gradient(VK_ACTIVATION_GELU, act_load(g + i), act_load(x + i)));
        break;
    }
    if (i < n) {
        float gb[ACT_VEC] = {0}, xb[ACT_VEC] = {0};
        __builtin_memcpy(gb, g + i, (size_t)(n - i) * sizeof(float));
        __builtin_memcpy(xb, x + i, (size_t)(n - i) * sizeof(float));
        act_store(gb, act_gradient(kind, act_load(gb), act_load(xb)));
        __builtin_memcpy(dx + i, gb, (size_t)(n - i) * sizeof(float));
    }
}

const vk_activation_impl ACT_IMPL = {ACT_VEC, act_forward_run, act_gradient_run};

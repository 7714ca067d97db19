// Layer normalisation of contiguous rows (layernorm.c), written once with clang's vector types and
// compiled per ISA: each including file sets VEC_WIDTH (floats per vector), LN_IMPL (the name of the
// function it defines) and the target pragma.
//
// Each row of d floats is normalised in three passes while it sits in L1: the sum (four vector
// accumulators, combined in double), the sum of squares about that mean (the same way: the
// two-pass form keeps cancellation out of the variance), then y = (x − μ)·rstd·γ + β.
#include "internal.h"
#include "vector_impl.h"

#if !defined(LN_IMPL)
#error "define LN_IMPL (and VEC_WIDTH) first"
#endif

static inline double ln_lanes(vec_f32 v) {
    double s = 0;
    for (int l = 0; l < VEC_WIDTH; l++) s += v[l];
    return s;
}

/// Σ (x[i] − shift)^power for power 1 or 2 over a row of d floats.
static inline double ln_row_sum(const float *x, long d, float shift, int square) {
    vec_f32 acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
    const vec_f32 s = shift;
    long i = 0;
    for (; i + 4 * VEC_WIDTH <= d; i += 4 * VEC_WIDTH) {
        vec_f32 v0 = vec_load(x + i) - s, v1 = vec_load(x + i + VEC_WIDTH) - s;
        vec_f32 v2 = vec_load(x + i + 2 * VEC_WIDTH) - s, v3 = vec_load(x + i + 3 * VEC_WIDTH) - s;
        if (square) { v0 *= v0; v1 *= v1; v2 *= v2; v3 *= v3; }
        acc0 += v0; acc1 += v1; acc2 += v2; acc3 += v3;
    }
    for (; i + VEC_WIDTH <= d; i += VEC_WIDTH) {
        vec_f32 v = vec_load(x + i) - s;
        acc0 += square ? v * v : v;
    }
    double total = ln_lanes(acc0) + ln_lanes(acc1) + ln_lanes(acc2) + ln_lanes(acc3);
    for (; i < d; i++) {
        double v = (double)x[i] - shift;
        total += square ? v * v : v;
    }
    return total;
}

void LN_IMPL(const float *x, float *y, long rows, long d, const float *gamma, const float *beta, float eps,
             float *mean, float *rstd) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        float *yr = y + r * d;
        float mu = (float)(ln_row_sum(xr, d, 0.0f, 0) / (double)d);
        // The centred sum is about the float mean, as the element loop below subtracts it.
        double var = ln_row_sum(xr, d, mu, 1) / (double)d;
        float rs = (float)(1.0 / __builtin_sqrt(var + (double)eps));
        mean[r] = mu;
        rstd[r] = rs;
        const vec_f32 m = mu, q = rs;
        long i = 0;
        for (; i + VEC_WIDTH <= d; i += VEC_WIDTH) {
            vec_f32 v = (vec_load(xr + i) - m) * q;
            if (gamma) v *= vec_load(gamma + i);
            if (beta) v += vec_load(beta + i);
            vec_store(yr + i, v);
        }
        for (; i < d; i++) {
            float v = (xr[i] - mu) * rs;
            if (gamma) v *= gamma[i];
            if (beta) v += beta[i];
            yr[i] = v;
        }
    }
}

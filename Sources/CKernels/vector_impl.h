// The vector type the per-ISA kernel headers (activation_impl.h, layernorm_impl.h,
// depthwise_impl.h, direct_impl.h) are written with: the including file sets VEC_WIDTH (floats per
// vector) and, for the baseline ISA, VEC_SEPARATE_MULTIPLY_ADD; this header gives the float and
// int vectors, unaligned loads and stores, and VEC_FMA.
#if !defined(VEC_WIDTH)
#error "define VEC_WIDTH (floats per vector) first"
#endif

// The baseline ISA may lack FMA (x86-64's SSE2): there a fused builtin would become a call per
// lane, so the portable files ask for a multiply and an add (contracted where the target has FMA).
#if defined(VEC_SEPARATE_MULTIPLY_ADD)
#define VEC_FMA(a, b, c) ((c) + (a) * (b))
#else
#define VEC_FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#endif

typedef float vec_f32 __attribute__((ext_vector_type(VEC_WIDTH)));
typedef int vec_i32 __attribute__((ext_vector_type(VEC_WIDTH)));

static inline vec_f32 vec_load(const float *p) {
    vec_f32 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void vec_store(float *p, vec_f32 v) { __builtin_memcpy(p, &v, sizeof v); }

// Layer normalisation of rows (layernorm_impl.h) for AVX2: 8 floats per vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VEC_WIDTH 8
#define LN_IMPL vk_layer_norm_rows_avx2
#include "layernorm_impl.h"
#pragma clang attribute pop
#endif

// The activations (activation_impl.h) for AVX2 + FMA: 8 floats per vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VEC_WIDTH 8
#define ACT_IMPL vk_activation_avx2
#include "activation_impl.h"
#pragma clang attribute pop
#endif

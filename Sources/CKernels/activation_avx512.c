// The activations (activation_impl.h) for AVX-512F: 16 floats per vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#define VEC_WIDTH 16
#define ACT_IMPL vk_activation_avx512
#include "activation_impl.h"
#pragma clang attribute pop
#endif

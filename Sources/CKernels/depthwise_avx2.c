// The depthwise conv's row kernel (depthwise_impl.h) for AVX2 + FMA: 8 outputs per vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VEC_WIDTH 8
#define DEPTHWISE_IMPL vk_depthwise_avx2
#include "depthwise_impl.h"
#pragma clang attribute pop
#endif

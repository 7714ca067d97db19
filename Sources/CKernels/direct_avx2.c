// The direct conv's micro-kernel (direct_impl.h) for AVX2 + FMA: 16 output channels (2 ymm) × 6
// pixels (12 accumulators + 2 weights + 1 broadcast of the 16 ymm registers).
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VEC_WIDTH 8
#define DIRECT_VECS 2
#define DIRECT_PIXELS 6
#define DIRECT_IMPL vk_direct_avx2
#include "direct_impl.h"
#pragma clang attribute pop
#endif

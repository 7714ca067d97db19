// The direct conv's micro-kernel (direct_impl.h) for AVX-512: 64 output channels (4 zmm) × 6 pixels.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define VEC_WIDTH 16
#define DIRECT_VECS 4
#define DIRECT_PIXELS 6
#define DIRECT_IMPL vk_direct_avx512
#include "direct_impl.h"
#pragma clang attribute pop
#endif

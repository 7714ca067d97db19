// The depthwise conv's row kernel (depthwise_impl.h) for AVX-512: 16 outputs per vector.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define VEC_WIDTH 16
#define DEPTHWISE_IMPL vk_depthwise_avx512
#include "depthwise_impl.h"
#pragma clang attribute pop
#endif

// The Winograd transforms (winograd_impl.h) compiled for AVX-512: blocks of 32 tiles, two zmm per row.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), apply_to = function)
#define WINO_NB 32
#define WINO_VEC 16
#include "winograd_impl.h"
const vk_winograd_impl vk_winograd_avx512 = WINO_IMPL;
#pragma clang attribute pop
#endif

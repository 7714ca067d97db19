// The Winograd transforms (winograd_impl.h) compiled for AVX2+FMA: blocks of 16 tiles, two ymm per row.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define WINO_NB 16
#define WINO_VEC 8
#include "winograd_impl.h"
const vk_winograd_impl vk_winograd_avx2 = WINO_IMPL;
#pragma clang attribute pop
#endif

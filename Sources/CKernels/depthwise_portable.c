// The depthwise conv's row kernel (depthwise_impl.h) in plain C for the baseline ISA: 4 outputs
// per vector, multiply and add kept separate (SSE2 has no FMA).
#define VEC_WIDTH 4
#define DEPTHWISE_IMPL vk_depthwise_portable
#define VEC_SEPARATE_MULTIPLY_ADD 1
#include "depthwise_impl.h"

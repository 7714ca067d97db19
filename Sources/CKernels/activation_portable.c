// The activations (activation_impl.h) in plain C for the baseline ISA: 4 floats per vector,
// multiply and add kept separate (SSE2 has no FMA).
#define VEC_WIDTH 4
#define ACT_IMPL vk_activation_portable
#define VEC_SEPARATE_MULTIPLY_ADD 1
#include "activation_impl.h"

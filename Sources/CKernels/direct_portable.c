// The direct conv's micro-kernel (direct_impl.h) in plain C for the baseline ISA: 16 output
// channels (4 vectors of 4) × 2 pixels, which fits SSE2's 16 registers (NEON has more).
#define VEC_WIDTH 4
#define DIRECT_VECS 4
#define DIRECT_PIXELS 2
#define DIRECT_IMPL vk_direct_portable
#define VEC_SEPARATE_MULTIPLY_ADD 1
#include "direct_impl.h"

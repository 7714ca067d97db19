// Layer normalisation of rows (layernorm_impl.h) in plain C for the baseline ISA: 4 floats per vector.
#define VEC_WIDTH 4
#define LN_IMPL vk_layer_norm_rows_portable
#include "layernorm_impl.h"

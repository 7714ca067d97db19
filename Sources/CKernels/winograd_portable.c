// The Winograd transforms (winograd_impl.h) in plain C for the baseline ISA: blocks of 16 tiles.
#define WINO_NB 16
#define WINO_VEC 4
#include "winograd_impl.h"
const vk_winograd_impl vk_winograd_portable = WINO_IMPL;

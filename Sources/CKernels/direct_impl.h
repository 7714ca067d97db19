// The direct conv's micro-kernel (conv_direct.c), written once with clang's vector types and
// compiled per ISA: each including file sets VEC_WIDTH (floats per vector), DIRECT_VECS (vectors
// per panel of output channels), DIRECT_PIXELS (output pixels per tile), DIRECT_IMPL (the name of
// the vk_direct_impl it defines) and the target pragma. Only direct_avx512.c, direct_avx2.c and
// direct_portable.c include this file.
//
// A tile is VEC_WIDTH·DIRECT_VECS output channels × n ≤ DIRECT_PIXELS output pixels, held in
// DIRECT_VECS·n vector accumulators. Per K step (one input channel and tap) the kernel loads the
// panel's DIRECT_VECS weight vectors, and for each pixel broadcasts the one input value that tap
// reads (pixel pointer + the tap's offset) and does DIRECT_VECS FMAs: no gather, no packed input.
// AVX-512: 64 channels × 6 pixels = 24 zmm accumulators + 4 weights + 1 broadcast; 11 loads per 24
// FMAs.
#include "internal.h"
#include "vector_impl.h"

#if !defined(VEC_WIDTH) || !defined(DIRECT_VECS) || !defined(DIRECT_PIXELS) || !defined(DIRECT_IMPL)
#error "define VEC_WIDTH, DIRECT_VECS, DIRECT_PIXELS and DIRECT_IMPL first"
#endif
#if DIRECT_PIXELS < 1 || DIRECT_PIXELS > 6
#error "DIRECT_PIXELS must be 1 to 6"
#endif

enum { DIRECT_CHANNELS = VEC_WIDTH * DIRECT_VECS };

/// acc (n pixels × DIRECT_CHANNELS, pixel-major) (+)= Σ_k w[k] · px[j][koff[k]], for a constant n.
static inline __attribute__((always_inline)) void direct_tile_n(long kc, const float *restrict w, const int32_t *restrict koff,
                                                                const float *const *px, float *restrict acc, int accumulate,
                                                                const int n) {
    vec_f32 c[DIRECT_PIXELS][DIRECT_VECS];
    const float *p[DIRECT_PIXELS];
    for (int j = 0; j < n; j++) {
        p[j] = px[j];
        for (int r = 0; r < DIRECT_VECS; r++)
            c[j][r] = accumulate ? vec_load(acc + j * DIRECT_CHANNELS + r * VEC_WIDTH) : (vec_f32)0.0f;
    }
    for (long k = 0; k < kc; k++, w += DIRECT_CHANNELS) {
        vec_f32 wv[DIRECT_VECS];
        for (int r = 0; r < DIRECT_VECS; r++) wv[r] = vec_load(w + r * VEC_WIDTH);
        const long o = koff[k];
        for (int j = 0; j < n; j++) {
            const vec_f32 b = (vec_f32)(p[j][o]);
            for (int r = 0; r < DIRECT_VECS; r++) c[j][r] = VEC_FMA(wv[r], b, c[j][r]);
        }
    }
    for (int j = 0; j < n; j++)
        for (int r = 0; r < DIRECT_VECS; r++) vec_store(acc + j * DIRECT_CHANNELS + r * VEC_WIDTH, c[j][r]);
}

static void direct_tile(long kc, const float *w, const int32_t *koff, const float *const *px, int n, float *acc,
                        int accumulate) {
    switch (n) {
#if DIRECT_PIXELS >= 6
    case 6: direct_tile_n(kc, w, koff, px, acc, accumulate, 6); break;
#endif
#if DIRECT_PIXELS >= 5
    case 5: direct_tile_n(kc, w, koff, px, acc, accumulate, 5); break;
#endif
#if DIRECT_PIXELS >= 4
    case 4: direct_tile_n(kc, w, koff, px, acc, accumulate, 4); break;
#endif
#if DIRECT_PIXELS >= 3
    case 3: direct_tile_n(kc, w, koff, px, acc, accumulate, 3); break;
#endif
#if DIRECT_PIXELS >= 2
    case 2: direct_tile_n(kc, w, koff, px, acc, accumulate, 2); break;
#endif
    default: direct_tile_n(kc, w, koff, px, acc, accumulate, 1); break;
    }
}

const vk_direct_impl DIRECT_IMPL = {DIRECT_CHANNELS, DIRECT_PIXELS, direct_tile};

// Row conversions with Pillow's arithmetic (Convert.c semantics, re-derived, not copied):
// L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16; CMYK (stored inverted, "CMYK;I") -> RGB via
// nk = 255 - K, X = nk - round(X*nk/255) with Pillow's MULDIV255; 16-bit gray clips to 255;
// alpha is dropped when converting to RGB or L, and set to 255 when added.
#include "CImageCodecs.h"

static inline uint8_t luma(int r, int g, int b) {
    return (uint8_t)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}
static inline int muldiv255(int a, int b) { int t = a * b + 128; return ((t >> 8) + t) >> 8; }
static inline uint8_t clip8(int v) { return v < 0 ? 0 : (v > 255 ? 255 : (uint8_t)v); }

void cimg_convert_row(const uint8_t *in, int source, uint8_t *out, int channels, int width) {
    int x;
    switch (source) {
    case CIMG_SRC_GRAY:
    case CIMG_SRC_GRAY_ALPHA:
    case CIMG_SRC_GRAY16: {
        int step = source == CIMG_SRC_GRAY ? 1 : 2;
        for (x = 0; x < width; x++) {
            const uint8_t *p = in + x * step;
            uint8_t v = source == CIMG_SRC_GRAY16 ? (p[0] ? 255 : p[1]) : p[0];
            uint8_t a = source == CIMG_SRC_GRAY_ALPHA ? p[1] : 255;
            if (channels == 1) { out[x] = v; }
            else if (channels == 3) { out[3 * x] = v; out[3 * x + 1] = v; out[3 * x + 2] = v; }
            else { out[4 * x] = v; out[4 * x + 1] = v; out[4 * x + 2] = v; out[4 * x + 3] = a; }
        }
        break;
    }
    case CIMG_SRC_RGB:
    case CIMG_SRC_RGBA: {
        int step = source == CIMG_SRC_RGB ? 3 : 4;
        for (x = 0; x < width; x++) {
            const uint8_t *p = in + x * step;
            if (channels == 1) { out[x] = luma(p[0], p[1], p[2]); }
            else if (channels == 3) { out[3 * x] = p[0]; out[3 * x + 1] = p[1]; out[3 * x + 2] = p[2]; }
            else { out[4 * x] = p[0]; out[4 * x + 1] = p[1]; out[4 * x + 2] = p[2]; out[4 * x + 3] = step == 4 ? p[3] : 255; }
        }
        break;
    }
    case CIMG_SRC_CMYK:
        for (x = 0; x < width; x++) {
            const uint8_t *p = in + x * 4;
            // Adobe CMYK is stored inverted: Pillow's "CMYK;I" un-inverts on unpack.
            int c = 255 - p[0], m = 255 - p[1], y = 255 - p[2], k = 255 - p[3];
            int nk = 255 - k;
            uint8_t r = clip8(nk - muldiv255(c, nk)), g = clip8(nk - muldiv255(m, nk)), b = clip8(nk - muldiv255(y, nk));
            if (channels == 1) { out[x] = luma(r, g, b); }
            else if (channels == 3) { out[3 * x] = r; out[3 * x + 1] = g; out[3 * x + 2] = b; }
            else { out[4 * x] = r; out[4 * x + 1] = g; out[4 * x + 2] = b; out[4 * x + 3] = 255; }
        }
        break;
    }
}

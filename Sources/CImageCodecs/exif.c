// The EXIF orientation tag (0x0112) from a TIFF structure (the payload after "Exif\0\0"), with
// every offset bounds-checked: the data comes from untrusted files.
#include "internal.h"

static unsigned rd16(const uint8_t *p, int le) { return le ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p, int le) {
    return le ? ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24)
              : ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

int cimg_exif_orientation(const uint8_t *p, size_t n) {
    if (n < 8) return 0;
    int le;
    if (p[0] == 'I' && p[1] == 'I') le = 1;
    else if (p[0] == 'M' && p[1] == 'M') le = 0;
    else return 0;
    if (rd16(p + 2, le) != 42) return 0;
    uint32_t ifd = rd32(p + 4, le);
    if (ifd > n || n - ifd < 2) return 0;
    unsigned count = rd16(p + ifd, le);
    for (unsigned i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > n) return 0;
        if (rd16(p + e, le) == 0x0112) {
            unsigned type = rd16(p + e + 2, le);
            unsigned v = type == 3 ? rd16(p + e + 8, le) : (type == 4 ? (unsigned)rd32(p + e + 8, le) : 0);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
}

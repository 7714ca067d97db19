// Format detection and the format-independent decoder entry points.
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int cimg_api_version(void) { return 2; }

int cimg_detect_format(const uint8_t *p, size_t n) {
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return CIMG_FORMAT_JPEG;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n >= 8 && memcmp(p, sig, 8) == 0) return CIMG_FORMAT_PNG;
    return CIMG_FORMAT_UNKNOWN;
}

void cimg_set_message(char *dst, const char *text) {
    snprintf(dst, CIMG_MSG, "%s", text);
}

void cimg_note_warning(struct cimg_decoder *d, const char *text) {
    if (d->warnings++ == 0) cimg_set_message(d->first_warning, text);
}

cimg_decoder *cimg_decoder_create(void) {
    return (cimg_decoder *)calloc(1, sizeof(cimg_decoder));
}

void cimg_decoder_destroy(cimg_decoder *d) {
    if (!d) return;
    cimg_jpeg_destroy(d);
    cimg_png_destroy(d);
    free(d);
}

int cimg_check_limit(struct cimg_decoder *d) {
    long long w = d->info.width, h = d->info.height;
    if (w <= 0 || h <= 0) {
        snprintf(d->message, CIMG_MSG, "image has zero size %lldx%lld", w, h);
        return CIMG_ERR_LIMIT;
    }
    if (w * h > d->max_pixels) {
        snprintf(d->message, CIMG_MSG, "%lldx%lld pixels exceeds the limit of %lld (possible decompression bomb)", w, h, d->max_pixels);
        return CIMG_ERR_LIMIT;
    }
    return CIMG_OK;
}

int cimg_read_header(cimg_decoder *d, const uint8_t *data, size_t size, int want_alpha, long long max_pixels, cimg_info *info) {
    if (!d || !info || d->stage != 0) return CIMG_ERR_USAGE;
    d->stage = 2;
    d->max_pixels = max_pixels;
    int status;
    switch (cimg_detect_format(data, size)) {
    case CIMG_FORMAT_JPEG: status = cimg_jpeg_read_header(d, data, size); break;
    case CIMG_FORMAT_PNG: status = cimg_png_read_header(d, data, size, want_alpha); break;
    default:
        cimg_set_message(d->message, size == 0 ? "empty file" : "not a JPEG or PNG file (unrecognised signature)");
        return CIMG_ERR_FORMAT;
    }
    *info = d->info;
    if (status == CIMG_OK) d->stage = 1;
    return status;
}

int cimg_decode(cimg_decoder *d, uint8_t *out, int channels) {
    if (!d || !out || d->stage != 1 || (channels != 1 && channels != 3 && channels != 4)) return CIMG_ERR_USAGE;
    d->stage = 2;
    return d->info.format == CIMG_FORMAT_JPEG ? cimg_jpeg_decode(d, out, channels) : cimg_png_decode(d, out, channels);
}

const char *cimg_decoder_message(const cimg_decoder *d) { return d->message; }
int cimg_decoder_warning_count(const cimg_decoder *d) { return d->warnings; }
const char *cimg_decoder_first_warning(const cimg_decoder *d) { return d->first_warning; }
int cimg_decoder_truncated(const cimg_decoder *d) { return d->truncated; }

void cimg_buffer_free(cimg_buffer *b) {
    if (b && b->data) { free(b->data); b->data = NULL; b->size = 0; }
}

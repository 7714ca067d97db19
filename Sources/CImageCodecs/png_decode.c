// PNG decoding with libpng's low-level API, because Pillow's pixels differ from the simplified
// API's: no gAMA is applied, 16-bit samples keep their high byte (16-bit gray clips to 255, as
// Pillow's I;16 -> L), 1/2/4-bit gray scales to 0-255, palettes expand, and tRNS becomes alpha
// only when alpha is asked for. Errors longjmp back here; warnings are counted, never printed.
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static void on_png_error(png_structp png, png_const_charp text) {
    struct cimg_decoder *d = (struct cimg_decoder *)png_get_error_ptr(png);
    cimg_set_message(d->message, text);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp text) {
    struct cimg_decoder *d = (struct cimg_decoder *)png_get_error_ptr(png);
    cimg_note_warning(d, text);
}

static void on_png_read(png_structp png, png_bytep out, png_size_t n) {
    struct cimg_decoder *d = (struct cimg_decoder *)png_get_io_ptr(png);
    if (n > d->png_size - d->png_pos) {
        d->truncated = 1;
        png_error(png, "unexpected end of file (truncated PNG)");
    }
    memcpy(out, d->png_data + d->png_pos, n);
    d->png_pos += n;
}

void cimg_png_destroy(struct cimg_decoder *d) {
    if (d->png) { png_destroy_read_struct(&d->png, &d->png_info, NULL); d->png = NULL; d->png_info = NULL; }
}

int cimg_png_read_header(struct cimg_decoder *d, const uint8_t *data, size_t size, int want_alpha) {
    memset(&d->info, 0, sizeof d->info);
    d->info.format = CIMG_FORMAT_PNG;
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, on_png_error, on_png_warning);
    if (!d->png) { cimg_set_message(d->message, "out of memory"); return CIMG_ERR_MEMORY; }
    d->png_info = png_create_info_struct(d->png);
    if (!d->png_info) { cimg_set_message(d->message, "out of memory"); return CIMG_ERR_MEMORY; }
    if (setjmp(png_jmpbuf(d->png))) return CIMG_ERR_FORMAT;
    d->png_data = data; d->png_size = size; d->png_pos = 0;
    png_set_read_fn(d->png, d, on_png_read);
    png_set_user_limits(d->png, 0x7fffffff, 0x7fffffff);  // the caller checks width*height itself
    png_read_info(d->png, d->png_info);

    png_uint_32 w, h;
    int depth, type, interlace;
    png_get_IHDR(d->png, d->png_info, &w, &h, &depth, &type, &interlace, NULL, NULL);
    d->info.width = (int)w; d->info.height = (int)h;
    d->info.bit_depth = depth; d->info.color_type = type;
    d->info.interlaced = interlace != PNG_INTERLACE_NONE;
    int limit = cimg_check_limit(d);  // before png_read_update_info allocates row buffers
    if (limit != CIMG_OK) return limit;
    int trns = png_get_valid(d->png, d->png_info, PNG_INFO_tRNS) != 0;
    d->info.has_transparency = trns;
    png_bytep exif = NULL; png_uint_32 exif_len = 0;
    if (png_get_eXIf_1(d->png, d->png_info, &exif_len, &exif) && exif)
        d->info.orientation = cimg_exif_orientation(exif, exif_len);

    int alpha_from_trns = want_alpha && trns;
    switch (type) {
    case PNG_COLOR_TYPE_PALETTE:
        // png_set_palette_to_rgb also turns tRNS into alpha; the conversion drops it for RGB/L.
        png_set_palette_to_rgb(d->png);
        d->info.source = trns ? CIMG_SRC_RGBA : CIMG_SRC_RGB;
        alpha_from_trns = 0;
        break;
    case PNG_COLOR_TYPE_GRAY:
        if (depth < 8) png_set_expand_gray_1_2_4_to_8(d->png);
        d->info.source = depth == 16 ? CIMG_SRC_GRAY16 : (alpha_from_trns ? CIMG_SRC_GRAY_ALPHA : CIMG_SRC_GRAY);
        if (depth == 16) alpha_from_trns = 0;
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: d->info.source = CIMG_SRC_GRAY_ALPHA; break;
    case PNG_COLOR_TYPE_RGB: d->info.source = alpha_from_trns ? CIMG_SRC_RGBA : CIMG_SRC_RGB; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: d->info.source = CIMG_SRC_RGBA; break;
    default: cimg_set_message(d->message, "unsupported PNG colour type"); return CIMG_ERR_FORMAT;
    }
    if (alpha_from_trns) png_set_tRNS_to_alpha(d->png);
    if (depth == 16 && d->info.source != CIMG_SRC_GRAY16) png_set_strip_16(d->png);  // keeps the high byte
    if (d->info.interlaced) png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->png_info);
    static const size_t bytes_per_pixel[7] = {0, 1, 2, 3, 4, 4, 2};
    if (png_get_rowbytes(d->png, d->png_info) != (size_t)w * bytes_per_pixel[d->info.source]) {
        cimg_set_message(d->message, "internal error: unexpected PNG row layout");
        return CIMG_ERR_FORMAT;
    }
    return CIMG_OK;
}

int cimg_png_decode(struct cimg_decoder *d, uint8_t *out, int channels) {
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(d->png))) { free(buffer); free(rows); return CIMG_ERR_FORMAT; }
    int width = d->info.width, height = d->info.height, src = d->info.source;
    size_t rowbytes = png_get_rowbytes(d->png, d->png_info);
    size_t stride = (size_t)width * (size_t)channels;
    int direct = (src == CIMG_SRC_GRAY && channels == 1) || (src == CIMG_SRC_RGB && channels == 3) ||
                 (src == CIMG_SRC_RGBA && channels == 4);
    if (d->info.interlaced && !direct) {
        // Adam7 needs the whole image before any row is final: decode, then convert row by row.
        buffer = (uint8_t *)malloc(rowbytes * (size_t)height);
        rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
        if (!buffer || !rows) { free(buffer); free(rows); cimg_set_message(d->message, "out of memory"); return CIMG_ERR_MEMORY; }
        for (int y = 0; y < height; y++) rows[y] = buffer + rowbytes * (size_t)y;
        png_read_image(d->png, rows);
        for (int y = 0; y < height; y++) cimg_convert_row(rows[y], src, out + stride * (size_t)y, channels, width);
    } else if (direct) {
        rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
        if (!rows) { cimg_set_message(d->message, "out of memory"); return CIMG_ERR_MEMORY; }
        for (int y = 0; y < height; y++) rows[y] = out + stride * (size_t)y;
        png_read_image(d->png, rows);
    } else {
        buffer = (uint8_t *)malloc(rowbytes);
        if (!buffer) { cimg_set_message(d->message, "out of memory"); return CIMG_ERR_MEMORY; }
        for (int y = 0; y < height; y++) {
            png_read_row(d->png, buffer, NULL);
            cimg_convert_row(buffer, src, out + stride * (size_t)y, channels, width);
        }
    }
    png_read_end(d->png, NULL);
    free(buffer); free(rows);
    return CIMG_OK;
}

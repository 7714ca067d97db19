// JPEG and PNG encoding into malloc'd memory buffers (the Swift side writes files atomically).
// JPEG uses Pillow's defaults: quality as given, 4:2:0 chroma subsampling for RGB, ISLOW DCT.
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct enc_jpeg_err { struct jpeg_error_mgr pub; jmp_buf jump; char *message; };

static void enc_error_exit(j_common_ptr cinfo) {
    struct enc_jpeg_err *err = (struct enc_jpeg_err *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, 256, "%s", text);
    longjmp(err->jump, 1);
}
static void enc_output_message(j_common_ptr cinfo) { (void)cinfo; }

int cimg_encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int quality, cimg_buffer *out) {
    memset(out, 0, sizeof *out);
    if ((channels != 1 && channels != 3) || width <= 0 || height <= 0 || width > 65500 || height > 65500) {
        snprintf(out->message, 256, "JPEG needs 1 or 3 channels and sides of 1 to 65500 pixels");
        return CIMG_ERR_USAGE;
    }
    struct jpeg_compress_struct c;
    struct enc_jpeg_err err;
    unsigned char *volatile mem = NULL;
    unsigned long mem_size = 0;
    c.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = enc_error_exit;
    err.pub.output_message = enc_output_message;
    err.message = out->message;
    if (setjmp(err.jump)) { jpeg_destroy_compress(&c); free(mem); return CIMG_ERR_FORMAT; }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, (unsigned char **)&mem, &mem_size);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = channels;
    c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    c.dct_method = JDCT_ISLOW;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * (size_t)width * (size_t)channels);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    out->data = mem;
    out->size = mem_size;
    return CIMG_OK;
}

struct png_sink { cimg_buffer *buf; size_t capacity; };

static void png_sink_write(png_structp png, png_bytep data, png_size_t n) {
    struct png_sink *s = (struct png_sink *)png_get_io_ptr(png);
    if (s->buf->size + n > s->capacity) {
        size_t cap = s->capacity ? s->capacity : 65536;
        while (cap < s->buf->size + n) cap *= 2;
        uint8_t *p = (uint8_t *)realloc(s->buf->data, cap);
        if (!p) png_error(png, "out of memory");
        s->buf->data = p;
        s->capacity = cap;
    }
    memcpy(s->buf->data + s->buf->size, data, n);
    s->buf->size += n;
}
static void png_sink_flush(png_structp png) { (void)png; }
static void enc_png_error(png_structp png, png_const_charp text) {
    cimg_buffer *b = (cimg_buffer *)png_get_error_ptr(png);
    snprintf(b->message, 256, "%s", text);
    png_longjmp(png, 1);
}
static void enc_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

int cimg_encode_png(const uint8_t *pixels, int width, int height, int channels, int level, cimg_buffer *out) {
    memset(out, 0, sizeof *out);
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width <= 0 || height <= 0) {
        snprintf(out->message, 256, "PNG needs 1 to 4 channels and a non-empty image");
        return CIMG_ERR_USAGE;
    }
    struct png_sink sink = {out, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, out, enc_png_error, enc_png_warning);
    if (!png) return CIMG_ERR_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        cimg_buffer_free(out);
        return CIMG_ERR_FORMAT;
    }
    png_set_write_fn(png, &sink, png_sink_write, png_sink_flush);
    png_set_compression_level(png, level < 0 ? 6 : (level > 9 ? 9 : level));
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * (size_t)width * (size_t)channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return CIMG_OK;
}

// Shared between the shim's files; not part of the public header.
#ifndef CIMG_INTERNAL_H
#define CIMG_INTERNAL_H
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include "CImageCodecs.h"

#define CIMG_MSG 320

struct cimg_jpeg_err { struct jpeg_error_mgr pub; struct cimg_decoder *owner; };

struct cimg_decoder {
    int format;                 // 0 until a header was read
    int stage;                  // 0 fresh, 1 header read, 2 decoded/failed
    jmp_buf jump;
    char message[CIMG_MSG];
    char first_warning[CIMG_MSG];
    int warnings;
    int truncated;
    cimg_info info;
    long long max_pixels;
    // JPEG
    struct jpeg_decompress_struct jpeg;
    struct cimg_jpeg_err jerr;
    struct jpeg_progress_mgr progress;
    int jpeg_created;
    // PNG
    png_structp png;
    png_infop png_info;
    const uint8_t *png_data;
    size_t png_size, png_pos;
};

int cimg_jpeg_read_header(struct cimg_decoder *d, const uint8_t *data, size_t size);
int cimg_check_limit(struct cimg_decoder *d);
int cimg_jpeg_decode(struct cimg_decoder *d, uint8_t *out, int channels);
void cimg_jpeg_destroy(struct cimg_decoder *d);
int cimg_png_read_header(struct cimg_decoder *d, const uint8_t *data, size_t size, int want_alpha);
int cimg_png_decode(struct cimg_decoder *d, uint8_t *out, int channels);
void cimg_png_destroy(struct cimg_decoder *d);
void cimg_note_warning(struct cimg_decoder *d, const char *text);
void cimg_set_message(char *dst, const char *text);
int cimg_exif_orientation(const uint8_t *p, size_t n);
#endif

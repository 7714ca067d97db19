// JPEG decoding with libjpeg(-turbo) and a non-returning error manager: error_exit formats the
// message and longjmps back into the entry point; emit_message counts warnings (corrupt data,
// premature end) without printing. Pillow's settings: ISLOW IDCT, fancy upsampling, CMYK/YCCK
// decoded to (inverted) CMYK and converted with Pillow's formula.
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CIMG_MAX_SCANS 1000  // progressive JPEGs with more scans are a decompression bomb

static void on_error_exit(j_common_ptr cinfo) {
    struct cimg_jpeg_err *err = (struct cimg_jpeg_err *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    cimg_set_message(err->owner->message, text);
    longjmp(err->owner->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    struct cimg_jpeg_err *err = (struct cimg_jpeg_err *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->owner->truncated = 1;
    cimg_note_warning(err->owner, text);
    cinfo->err->num_warnings++;
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > CIMG_MAX_SCANS) {
            struct cimg_jpeg_err *err = (struct cimg_jpeg_err *)cinfo->err;
            snprintf(err->owner->message, CIMG_MSG, "progressive JPEG has more than %d scans", CIMG_MAX_SCANS);
            longjmp(err->owner->jump, 1);
        }
    }
}

void cimg_jpeg_destroy(struct cimg_decoder *d) {
    if (d->jpeg_created) { jpeg_destroy_decompress(&d->jpeg); d->jpeg_created = 0; }
}

static int find_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0)
            return cimg_exif_orientation(m->data + 6, m->data_length - 6);
    }
    return 0;
}

int cimg_jpeg_read_header(struct cimg_decoder *d, const uint8_t *data, size_t size) {
    memset(&d->info, 0, sizeof d->info);
    d->info.format = CIMG_FORMAT_JPEG;
    d->jpeg.err = jpeg_std_error(&d->jerr.pub);
    d->jerr.pub.error_exit = on_error_exit;
    d->jerr.pub.emit_message = on_emit_message;
    d->jerr.pub.output_message = on_output_message;
    d->jerr.owner = d;
    if (setjmp(d->jump)) return CIMG_ERR_FORMAT;
    jpeg_create_decompress(&d->jpeg);
    d->jpeg_created = 1;
    d->progress.progress_monitor = on_progress;
    d->jpeg.progress = &d->progress;
    jpeg_mem_src(&d->jpeg, data, (unsigned long)size);
    jpeg_save_markers(&d->jpeg, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&d->jpeg, TRUE);
    d->info.width = (int)d->jpeg.image_width;
    d->info.height = (int)d->jpeg.image_height;
    d->info.bit_depth = d->jpeg.data_precision;
    d->info.color_type = d->jpeg.jpeg_color_space;
    d->info.interlaced = d->jpeg.progressive_mode ? 1 : 0;
    d->info.orientation = find_orientation(&d->jpeg);
    int limit = cimg_check_limit(d);
    if (limit != CIMG_OK) return limit;
    switch (d->jpeg.jpeg_color_space) {
    case JCS_GRAYSCALE: d->info.source = CIMG_SRC_GRAY; break;
    case JCS_CMYK: case JCS_YCCK: d->info.source = CIMG_SRC_CMYK; break;
    case JCS_YCbCr: case JCS_RGB: d->info.source = CIMG_SRC_RGB; break;
    default:
        snprintf(d->message, CIMG_MSG, "unsupported JPEG colour space %d with %d components",
                 (int)d->jpeg.jpeg_color_space, d->jpeg.num_components);
        return CIMG_ERR_FORMAT;
    }
    return CIMG_OK;
}

int cimg_jpeg_decode(struct cimg_decoder *d, uint8_t *out, int channels) {
    j_decompress_ptr c = &d->jpeg;
    uint8_t *volatile row = NULL;
    if (setjmp(d->jump)) { free(row); return CIMG_ERR_FORMAT; }
    int src = d->info.source;
    c->out_color_space = src == CIMG_SRC_GRAY ? JCS_GRAYSCALE : (src == CIMG_SRC_CMYK ? JCS_CMYK : JCS_RGB);
    c->dct_method = JDCT_ISLOW;
    jpeg_start_decompress(c);
    int width = (int)c->output_width, comps = c->output_components;
    size_t stride = (size_t)width * (size_t)channels;
    int direct = (src == CIMG_SRC_GRAY && channels == 1) || (src == CIMG_SRC_RGB && channels == 3);
    if (!direct) {
        row = (uint8_t *)malloc((size_t)width * (size_t)comps);
        if (!row) { cimg_set_message(d->message, "out of memory"); jpeg_abort_decompress(c); return CIMG_ERR_MEMORY; }
    }
    while (c->output_scanline < c->output_height) {
        uint8_t *dst = out + (size_t)c->output_scanline * stride;
        JSAMPROW target = direct ? dst : row;
        if (jpeg_read_scanlines(c, &target, 1) != 1) break;
        if (!direct) cimg_convert_row(row, src, dst, channels, width);
    }
    free(row);
    row = NULL;
    jpeg_finish_decompress(c);
    return CIMG_OK;
}

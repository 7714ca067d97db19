// C shim over libjpeg(-turbo) and libpng. libjpeg reports fatal errors through a callback that
// must not return (the default calls exit()) and libpng longjmps; Swift cannot call setjmp, so the
// error managers and their setjmp/longjmp live here, and every entry point returns a status code
// plus a message instead. Warnings are counted and the first one kept; nothing is ever printed.
//
// Decoding is two-phase so the caller allocates the output after checking the dimensions:
//   d = cimg_decoder_create(); cimg_read_header(d, data, size, &info);  // parse the header only
//   cimg_decode(d, out, channels);                                       // fill out (height*width*channels)
//   cimg_decoder_destroy(d);
// `data` must stay valid from cimg_read_header until cimg_decode returns.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
#include <stddef.h>
#include <stdint.h>

/// Version of the shim's API.
int cimg_api_version(void);

/// Status codes.
enum {
    CIMG_OK = 0,
    CIMG_ERR_FORMAT = 1,    ///< not a JPEG/PNG, or corrupt data (message says what)
    CIMG_ERR_MEMORY = 2,    ///< allocation failed
    CIMG_ERR_USAGE = 3,     ///< called out of order or with bad arguments
    CIMG_ERR_LIMIT = 4,     ///< width*height above max_pixels, or a zero side (checked before any pixel buffer exists)
};

/// File formats recognised by their magic bytes.
enum { CIMG_FORMAT_UNKNOWN = 0, CIMG_FORMAT_JPEG = 1, CIMG_FORMAT_PNG = 2 };

/// Sample layout the decoder produces before conversion to the requested channels.
enum {
    CIMG_SRC_GRAY = 1,        ///< 1 byte
    CIMG_SRC_GRAY_ALPHA = 2,  ///< 2 bytes
    CIMG_SRC_RGB = 3,         ///< 3 bytes
    CIMG_SRC_RGBA = 4,        ///< 4 bytes
    CIMG_SRC_CMYK = 5,        ///< 4 bytes, Adobe-inverted (as Pillow's "CMYK;I")
    CIMG_SRC_GRAY16 = 6,      ///< 2 bytes big-endian (16-bit gray PNG, Pillow "I;16")
};

typedef struct {
    int format;          ///< CIMG_FORMAT_*
    int width, height;
    int source;          ///< CIMG_SRC_* layout the decoder will produce
    int bit_depth;       ///< bits per sample in the file
    int color_type;      ///< PNG colour type, or JPEG J_COLOR_SPACE of the file
    int has_transparency;///< PNG tRNS chunk present
    int interlaced;      ///< PNG Adam7 or progressive JPEG
    int orientation;     ///< EXIF orientation 1-8, 0 when absent
} cimg_info;

typedef struct cimg_decoder cimg_decoder;

/// Detects the format from the first bytes.
int cimg_detect_format(const uint8_t *data, size_t size);

cimg_decoder *cimg_decoder_create(void);
void cimg_decoder_destroy(cimg_decoder *d);
/// Parses the header of an in-memory JPEG or PNG. `want_alpha` asks PNG tRNS to become alpha.
/// Fails with CIMG_ERR_LIMIT (info still filled) when width*height exceeds `max_pixels`.
int cimg_read_header(cimg_decoder *d, const uint8_t *data, size_t size, int want_alpha, long long max_pixels, cimg_info *info);
/// Decodes into `out` (height*width*channels bytes, channels 1, 3 or 4) with Pillow's conversions.
int cimg_decode(cimg_decoder *d, uint8_t *out, int channels);
/// The message of the last error ("" if none).
const char *cimg_decoder_message(const cimg_decoder *d);
/// Number of warnings libjpeg/libpng emitted, and the first one's text.
int cimg_decoder_warning_count(const cimg_decoder *d);
const char *cimg_decoder_first_warning(const cimg_decoder *d);
/// 1 when libjpeg reported premature end of data (a truncated file).
int cimg_decoder_truncated(const cimg_decoder *d);

/// A malloc'd encoded buffer; free with cimg_buffer_free.
typedef struct { uint8_t *data; size_t size; char message[256]; } cimg_buffer;
void cimg_buffer_free(cimg_buffer *b);
/// Encodes 8-bit HWC pixels (channels 1 or 3) as baseline JPEG with Pillow's defaults (4:2:0 for RGB).
int cimg_encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int quality, cimg_buffer *out);
/// Encodes 8-bit HWC pixels (channels 1, 2, 3 or 4) as PNG at zlib `level` (0-9).
int cimg_encode_png(const uint8_t *pixels, int width, int height, int channels, int level, cimg_buffer *out);

/// Converts one row between layouts with Pillow's rules (used by the decoders; exposed for tests).
void cimg_convert_row(const uint8_t *in, int source, uint8_t *out, int channels, int width);

#endif

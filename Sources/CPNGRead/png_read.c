// See include/png_read.h.
#include "png_read.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const unsigned char *bytes;
    size_t count, at;
    char *reason;
    int capacity;
} Source;

static void read_bytes(png_structp png, png_bytep into, png_size_t length) {
    Source *source = (Source *)png_get_io_ptr(png);
    if (length > source->count - source->at) png_error(png, "the file ends early");
    memcpy(into, source->bytes + source->at, length);
    source->at += length;
}

static void on_error(png_structp png, png_const_charp message) {
    Source *source = (Source *)png_get_error_ptr(png);
    snprintf(source->reason, (size_t)source->capacity, "%s", message);
    png_longjmp(png, 1);
}

static int (*stop_check)(void);

void latent_png_set_stop_check(int (*check)(void)) { stop_check = check; }

// After each row: a stop asked for (Ctrl-C) abandons a large picture within a row's time.
static void on_row(png_structp png, png_uint_32 row, int pass) {
    (void)row;
    (void)pass;
    if (stop_check && stop_check()) png_error(png, "stopped (Ctrl-C)");
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;  // benign (a bad CRC in an ancillary chunk, an unknown chunk): decoded as Pillow does
}

// Starts a read of `source`: the structs, error handling, and the header. The caller's setjmp guards the rest.
static int begin(Source *source, png_structp *png, png_infop *info) {
    if (source->count < 8 || png_sig_cmp(source->bytes, 0, 8) != 0) {
        snprintf(source->reason, (size_t)source->capacity, "not a PNG signature");
        return -1;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source, on_error, on_warning);
    if (!*png) {
        snprintf(source->reason, (size_t)source->capacity, "libpng did not start");
        return -1;
    }
    *info = png_create_info_struct(*png);
    if (!*info) {
        png_destroy_read_struct(png, NULL, NULL);
        snprintf(source->reason, (size_t)source->capacity, "libpng did not start");
        return -1;
    }
    png_set_read_fn(*png, source, read_bytes);
    // No limit of libpng's own on the size (the caller checks width × height first), a bound on chunks.
    png_set_user_limits(*png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(*png, 64u << 20);
    png_set_crc_action(*png, PNG_CRC_WARN_USE, PNG_CRC_WARN_DISCARD);
    return 0;
}

int latent_png_header(const unsigned char *bytes, size_t count, unsigned *width, unsigned *height, int *colour,
                      int *alpha, char *reason, int capacity) {
    Source source = {bytes, count, 0, reason, capacity};
    png_structp png = NULL;
    png_infop info = NULL;
    if (begin(&source, &png, &info) != 0) return -1;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_read_info(png, info);
    int type = png_get_color_type(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    *colour = (type & PNG_COLOR_MASK_COLOR) != 0;
    *alpha = (type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int latent_png_decode_rgba(const unsigned char *bytes, size_t count, unsigned char *rgba, size_t capacity_bytes,
                           char *reason, int capacity) {
    Source source = {bytes, count, 0, reason, capacity};
    png_structp png = NULL;
    png_infop info = NULL;
    if (begin(&source, &png, &info) != 0) return -1;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if ((size_t)width * height * 4 != capacity_bytes) png_error(png, "the buffer does not match the header");
    int type = png_get_color_type(png, info);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    png_set_strip_16(png);  // the high byte: what Pillow, OpenCV and torchvision read
    if (!(type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    png_set_filler(png, 0xff, PNG_FILLER_AFTER);  // opaque where the file has no alpha
    png_set_interlace_handling(png);
    png_set_read_status_fn(png, on_row);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 4) png_error(png, "unexpected row size after expansion");
    rows = png_malloc(png, sizeof(png_bytep) * height);
    for (png_uint_32 y = 0; y < height; y++) rows[y] = rgba + (size_t)y * width * 4;
    png_read_image(png, rows);  // what follows the pixels (text, IEND) is not read: Pillow does not need it either
    png_free(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

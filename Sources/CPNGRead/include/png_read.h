// PNG decoding through libpng's full read API, which reports errors by longjmp: Swift cannot call setjmp, so
// this small shim does, and hands Swift 8-bit RGBA rows. libpng's simplified API (png_image) is not used because
// it converts 16-bit files as linear light (sRGB-encoding them) and mis-reads interlaced 16-bit files; here every
// sample keeps its stored value (16-bit samples keep their high byte, as Pillow, OpenCV and torchvision read
// them) and no gamma is applied, whatever gAMA, cHRM, sRGB or iCCP chunks say.
#ifndef LATENT_PNG_READ_H
#define LATENT_PNG_READ_H

#include <stddef.h>

/// Reads the header of the PNG in `bytes`: its width, height, whether it holds colour (not grey) and whether it
/// has alpha (an alpha channel or a tRNS chunk). Returns 0, or -1 with a one-line reason in `reason`.
int latent_png_header(const unsigned char *bytes, size_t count, unsigned *width, unsigned *height, int *colour,
                      int *alpha, char *reason, int capacity);

/// Decodes the PNG in `bytes` into `rgba` (width × height × 4 bytes, as the header said): palette, grey and
/// sub-byte depths expanded, tRNS turned into alpha, 16-bit samples reduced to their high byte, interlacing
/// undone. Returns 0, or -1 with a one-line reason in `reason`.
int latent_png_decode_rgba(const unsigned char *bytes, size_t count, unsigned char *rgba, size_t capacity_bytes,
                           char *reason, int capacity);

/// A function the decoder calls after each row; when it returns non-zero the decode stops with an error.
void latent_png_set_stop_check(int (*check)(void));

#endif

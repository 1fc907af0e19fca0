// libpng (Debian: libpng-dev): PNG decoding through its simplified png_image API.
#include <png.h>

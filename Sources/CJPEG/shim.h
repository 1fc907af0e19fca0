// libjpeg-turbo (Debian: libturbojpeg0-dev): JPEG decoding through the TurboJPEG API.
#include <stddef.h>
#include <turbojpeg.h>

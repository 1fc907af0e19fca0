// Cairo (Debian: libcairo2-dev): PNG output and, later, plots with text.
#include <cairo.h>

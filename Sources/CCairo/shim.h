// Cairo (Debian: libcairo2-dev): PNG, SVG and PDF output, with text.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>

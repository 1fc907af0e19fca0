// FFTW 3 (Debian: libfftw3-dev), double precision: the 2-D convolutions of interpolation-based t-SNE.
#include <fftw3.h>

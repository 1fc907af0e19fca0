// LAPACKE (Debian: liblapacke-dev): the C interface to LAPACK, for eigendecompositions (PCA).
#include <lapacke.h>

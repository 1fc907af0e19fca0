// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Every matrix product in Latent goes through it.
#include <cblas.h>

// Exported by OpenBLAS (driver/others) though not in its headers: re-read OPENBLAS_* environment variables,
// and stop the worker threads so that the next threaded call starts them with the new settings.
void openblas_read_env(void);
int blas_thread_shutdown_(void);

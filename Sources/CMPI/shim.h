// Open MPI (Debian: libopenmpi-dev, pkg-config ompi-c): data-parallel training over processes and machines.
// MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) are macros Swift cannot import, so the few
// calls Latent makes are wrapped here, all on the world communicator.
#include <mpi.h>

static inline int latent_mpi_initialized(void) { int flag = 0; MPI_Initialized(&flag); return flag; }
static inline int latent_mpi_finalized(void) { int flag = 0; MPI_Finalized(&flag); return flag; }
static inline int latent_mpi_init(void) {
    int provided = 0;
    return MPI_Init_thread(0, 0, MPI_THREAD_FUNNELED, &provided);
}
static inline int latent_mpi_finalize(void) { return MPI_Finalize(); }
static inline int latent_mpi_rank(void) { int rank = 0; MPI_Comm_rank(MPI_COMM_WORLD, &rank); return rank; }
static inline int latent_mpi_size(void) { int size = 1; MPI_Comm_size(MPI_COMM_WORLD, &size); return size; }
static inline int latent_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static inline void latent_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

// Sums `count` floats over every rank, in place.
static inline int latent_mpi_sum_floats(float *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

// Sums `count` doubles over every rank, in place.
static inline int latent_mpi_sum_doubles(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

// The smallest and largest of one double over every rank.
static inline int latent_mpi_min_max(double value, double *smallest, double *largest) {
    int status = MPI_Allreduce(&value, smallest, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    if (status != MPI_SUCCESS) return status;
    return MPI_Allreduce(&value, largest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

// Open MPI, loaded when a process runs under mpirun (dlopen of libmpi.so.40), so that `latent` builds and runs
// without Open MPI installed: only a distributed training needs it (Debian: openmpi-bin, which brings libopenmpi3).
// The few calls Latent makes, all on the world communicator. Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, …) are the addresses of its exported objects (ompi_mpi_comm_world, …); MPI_IN_PLACE is (void *)1.
#ifndef LATENT_CMPI_H
#define LATENT_CMPI_H

/// Loads Open MPI's library ($LATENT_MPI_LIBRARY if set, else libmpi.so.40 or libmpi.so) and looks up every
/// function and handle Latent uses. Returns 0 on success; otherwise writes a one-line reason (the loader's
/// message) to `reason` (at most `capacity` bytes) and returns -1.
int latent_mpi_load(char *reason, int capacity);

/// Whether MPI_Init has been called (0 or 1); 0 before latent_mpi_load succeeded.
int latent_mpi_initialized(void);
/// Whether MPI_Finalize has been called (0 or 1); 0 before latent_mpi_load succeeded.
int latent_mpi_finalized(void);
/// MPI_Init_thread with MPI_THREAD_FUNNELED; returns MPI's error code (0 is MPI_SUCCESS).
int latent_mpi_init(void);
/// MPI_Finalize; returns MPI's error code.
int latent_mpi_finalize(void);
/// This process's rank in the world communicator.
int latent_mpi_rank(void);
/// The number of processes in the world communicator.
int latent_mpi_size(void);
/// MPI_Barrier on the world communicator.
int latent_mpi_barrier(void);
/// MPI_Abort on the world communicator: stops every process of the job.
void latent_mpi_abort(int code);
/// Sums `count` floats over every rank, in place.
int latent_mpi_sum_floats(float *values, int count);
/// Sums `count` doubles over every rank, in place.
int latent_mpi_sum_doubles(double *values, int count);
/// MPI_Bcast of `count` bytes from rank `root` to every rank.
int latent_mpi_broadcast(void *bytes, int count, int root);
/// The smallest and largest of one double over every rank.
int latent_mpi_min_max(double value, double *smallest, double *largest);

#endif

// Open MPI through dlopen: see include/cmpi.h. Open MPI's ABI (libmpi.so.40, Open MPI 3.x to 5.x): handles are
// pointers to its predefined objects, MPI_THREAD_FUNNELED is 1, MPI_SUCCESS is 0, MPI_IN_PLACE is (void *)1.
#include "cmpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *Handle;
enum { THREAD_FUNNELED = 1 };
#define IN_PLACE ((void *)1)

static struct {
    int loaded;
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*init_thread)(int *, char ***, int, int *);
    int (*finalize)(void);
    int (*comm_rank)(Handle, int *);
    int (*comm_size)(Handle, int *);
    int (*barrier)(Handle);
    int (*abort)(Handle, int);
    int (*allreduce)(const void *, void *, int, Handle, Handle, Handle);
    int (*bcast)(void *, int, Handle, int, Handle);
    Handle world, byte_type, float_type, double_type, sum, min, max;
} mpi;

static int look_up(void *library, const char *name, void **into, char *reason, int capacity) {
    *into = dlsym(library, name);
    if (*into) return 0;
    snprintf(reason, (size_t)capacity, "the loaded libmpi has no symbol %s (not Open MPI 3 to 5?)", name);
    return -1;
}

int latent_mpi_load(char *reason, int capacity) {
    if (mpi.loaded) return 0;
    // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so), which it dlopens in MPI_Init, resolve libmpi's symbols.
    // LATENT_MPI_LIBRARY names another build of Open MPI's library (e.g. /opt/openmpi/lib/libmpi.so.40).
    const char *chosen = getenv("LATENT_MPI_LIBRARY");
    int named = chosen && *chosen;
    void *library = dlopen(named ? chosen : "libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(reason, (size_t)capacity, "%s", dlerror());  // the first name's reason: the one a user can act on
        if (!named) library = dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL);
        if (!library) return -1;
    }
    struct { const char *name; void **into; } symbols[] = {
        {"MPI_Initialized", (void **)&mpi.initialized}, {"MPI_Finalized", (void **)&mpi.finalized},
        {"MPI_Init_thread", (void **)&mpi.init_thread}, {"MPI_Finalize", (void **)&mpi.finalize},
        {"MPI_Comm_rank", (void **)&mpi.comm_rank}, {"MPI_Comm_size", (void **)&mpi.comm_size},
        {"MPI_Barrier", (void **)&mpi.barrier}, {"MPI_Abort", (void **)&mpi.abort},
        {"MPI_Allreduce", (void **)&mpi.allreduce}, {"MPI_Bcast", (void **)&mpi.bcast},
        {"ompi_mpi_comm_world", &mpi.world}, {"ompi_mpi_byte", &mpi.byte_type},
        {"ompi_mpi_float", &mpi.float_type}, {"ompi_mpi_double", &mpi.double_type},
        {"ompi_mpi_op_sum", &mpi.sum}, {"ompi_mpi_op_min", &mpi.min}, {"ompi_mpi_op_max", &mpi.max},
    };
    for (unsigned i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (look_up(library, symbols[i].name, symbols[i].into, reason, capacity) != 0) return -1;
    }
    mpi.loaded = 1;
    return 0;
}

int latent_mpi_initialized(void) {
    int flag = 0;
    if (mpi.loaded) mpi.initialized(&flag);
    return flag;
}

int latent_mpi_finalized(void) {
    int flag = 0;
    if (mpi.loaded) mpi.finalized(&flag);
    return flag;
}

int latent_mpi_init(void) {
    int provided = 0;
    return mpi.init_thread(0, 0, THREAD_FUNNELED, &provided);
}

int latent_mpi_finalize(void) { return mpi.finalize(); }

int latent_mpi_rank(void) {
    int rank = 0;
    mpi.comm_rank(mpi.world, &rank);
    return rank;
}

int latent_mpi_size(void) {
    int size = 1;
    mpi.comm_size(mpi.world, &size);
    return size;
}

int latent_mpi_barrier(void) { return mpi.barrier(mpi.world); }

void latent_mpi_abort(int code) {
    if (mpi.loaded) mpi.abort(mpi.world, code);
}

int latent_mpi_sum_floats(float *values, int count) {
    return mpi.allreduce(IN_PLACE, values, count, mpi.float_type, mpi.sum, mpi.world);
}

int latent_mpi_sum_doubles(double *values, int count) {
    return mpi.allreduce(IN_PLACE, values, count, mpi.double_type, mpi.sum, mpi.world);
}

int latent_mpi_min_max(double value, double *smallest, double *largest) {
    int status = mpi.allreduce(&value, smallest, 1, mpi.double_type, mpi.min, mpi.world);
    if (status != 0) return status;
    return mpi.allreduce(&value, largest, 1, mpi.double_type, mpi.max, mpi.world);
}

int latent_mpi_broadcast(void *bytes, int count, int root) {
    return mpi.bcast(bytes, count, mpi.byte_type, root, mpi.world);
}

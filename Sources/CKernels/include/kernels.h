// Hand-vectorised loops that Swift's SIMD types compile poorly (lane masks and their reductions).
#pragma once

/// The first j in [0, n) with a[j] + b[j] < bound, or n when there is none.
long latent_first_sum_below(const float *a, const float *b, long n, float bound);

/// The per-step constants of Adam's update (see LatentOptim's Adam).
typedef struct {
    float oneMinusBeta1, beta2, oneMinusBeta2, epsilon, weightDecay, stepSize, bc2Sqrt, gradientScale;
} latent_adam_constants;

/// Adam's update of p, m, v over [lo, hi) from g plus the `extraCount` buffers in `extra` (AVX2 where the
/// CPU has it, scalar otherwise).
void latent_adam_update(float *p, float *g, float *const *extra, long extraCount, float *m, float *v,
                        long lo, long hi, const latent_adam_constants *k);

/// out[c][r] = t[r][c] (or += with `accumulate`) for t of [rows, columns]: out is [columns, rows].
void latent_transpose(const float *t, long rows, long columns, float *out, int accumulate);

/// The widest vectors this CPU and its OS run: 0 (SSE or not x86), 1 AVX, 2 AVX2 with FMA, 3 AVX-512 (F, CD, BW,
/// DQ, VL), 4 AVX-512 with BF16.
int latent_cpu_vector_level(void);

/// The OpenBLAS kernels to put in place of `chosen` (OpenBLAS's name) on a CPU of `latent_cpu_vector_level()`'s
/// `cpu_level`: the ones for the CPU's widest vectors when `chosen` uses narrower ones, else NULL (also for names not
/// known here). Latent does so when the program is loaded, unless OPENBLAS_CORETYPE is set.
const char *latent_blas_replacement(const char *chosen, int cpu_level);

/// OpenBLAS's own choice of kernels if they were replaced when the program was loaded, else NULL.
const char *latent_blas_replaced(void);

/// The CPUs this process may run on (its affinity mask, as `taskset` or a container's cpuset sets it); 1 if unknown.
int latent_affinity_cpu_count(void);

/// The CPU's spin-wait hint (x86 `pause`, Arm `yield`): a thread polling a flag tells the core, so a hyperthread
/// sibling doing real work keeps the core's resources and the poll leaves the memory pipeline alone.
static inline void latent_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Sets this thread to read subnormal floats as zero and write results below the normal range as zero (x86's DAZ
/// and FTZ bits; elsewhere nothing) and returns the previous mode, for `latent_set_float_mode`.
unsigned latent_flush_subnormals(void);

/// This thread's floating-point mode (x86: the MXCSR register; elsewhere 0).
unsigned latent_float_mode(void);

/// Sets this thread's floating-point mode to one `latent_float_mode` or `latent_flush_subnormals` returned.
void latent_set_float_mode(unsigned mode);

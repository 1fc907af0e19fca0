#define _GNU_SOURCE
#include <dlfcn.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

static int has_avx2 = -1;

__attribute__((target("avx2"))) static long first_sum_below_avx2(const float *a, const float *b, long n, float bound) {
    const __m256 limit = _mm256_set1_ps(bound);
    long j = 0;
    for (; j + 32 <= n; j += 32) {
        __m256 s0 = _mm256_add_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
        __m256 s1 = _mm256_add_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8));
        __m256 s2 = _mm256_add_ps(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(b + j + 16));
        __m256 s3 = _mm256_add_ps(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(b + j + 24));
        __m256 m = _mm256_min_ps(_mm256_min_ps(s0, s1), _mm256_min_ps(s2, s3));
        if (_mm256_movemask_ps(_mm256_cmp_ps(m, limit, _CMP_LT_OQ))) break;
    }
    for (; j < n; j++) if (a[j] + b[j] < bound) return j;
    return n;
}

#endif

long latent_first_sum_below(const float *a, const float *b, long n, float bound) {
#if defined(__x86_64__)
    if (has_avx2 < 0) { __builtin_cpu_init(); has_avx2 = __builtin_cpu_supports("avx2"); }
    if (has_avx2) return first_sum_below_avx2(a, b, n, bound);
#endif
    for (long j = 0; j < n; j++) if (a[j] + b[j] < bound) return j;
    return n;
}

// Adam's update over [lo, hi), PyTorch's formula. The scalar loop is the reference; the AVX2 loop does the
// same IEEE operations lane-wise (no FMA contraction: the target is avx2 alone), so an element's bits do not
// depend on whether a slice's vectors or its tail reached it, and leaves its tail to the scalar loop.
static void adam_scalar(float *p, float *g, float *const *extra, long extraCount, float *m, float *v,
                        long lo, long hi, const latent_adam_constants *k) {
    for (long i = lo; i < hi; i++) {
        float gi = g[i];
        for (long e = 0; e < extraCount; e++) gi += extra[e][i];
        gi = gi * k->gradientScale + k->weightDecay * p[i];
        m[i] += (gi - m[i]) * k->oneMinusBeta1;
        v[i] = k->beta2 * v[i] + k->oneMinusBeta2 * gi * gi;
        p[i] -= k->stepSize * m[i] / (__builtin_sqrtf(v[i]) / k->bc2Sqrt + k->epsilon);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void adam_avx2(float *p, float *g, float *const *extra, long extraCount,
                                                      float *m, float *v, long lo, long hi,
                                                      const latent_adam_constants *k) {
    const __m256 b1 = _mm256_set1_ps(k->oneMinusBeta1), b2 = _mm256_set1_ps(k->beta2);
    const __m256 c2 = _mm256_set1_ps(k->oneMinusBeta2);
    const __m256 eps = _mm256_set1_ps(k->epsilon), wd = _mm256_set1_ps(k->weightDecay);
    const __m256 lr = _mm256_set1_ps(k->stepSize);
    const __m256 bc = _mm256_set1_ps(k->bc2Sqrt), gs = _mm256_set1_ps(k->gradientScale);
    long i = lo;
    for (; i + 8 <= hi; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        __m256 gi = _mm256_loadu_ps(g + i);
        for (long e = 0; e < extraCount; e++) gi = _mm256_add_ps(gi, _mm256_loadu_ps(extra[e] + i));
        gi = _mm256_add_ps(_mm256_mul_ps(gi, gs), _mm256_mul_ps(wd, pi));
        __m256 mn = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), b1));
        __m256 vn = _mm256_add_ps(_mm256_mul_ps(b2, vi), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        _mm256_storeu_ps(m + i, mn);
        _mm256_storeu_ps(v + i, vn);
        __m256 den = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vn), bc), eps);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(lr, mn), den)));
    }
    adam_scalar(p, g, extra, extraCount, m, v, i, hi, k);
}
#endif

// Subnormal moments (below 1.2e-38: a weight whose gradient has been zero for a few hundred steps, as the border
// pixels' weights of MNIST are, has its first moment decay by β1 each step through them) cost Intel cores ~100
// cycles an operation; they are read as zero and results below the normal range written as zero (the x86 control
// register's DAZ and FTZ bits, set for this loop alone and restored). No parameter moves by such an amount anyway:
// its update is at most ~1e-31 · lr, far below the parameter's last bit. Measured on an Intel Xeon VM: Adam
// 19% → 8% of the reference VAE's step.
void latent_adam_update(float *p, float *g, float *const *extra, long extraCount, float *m, float *v,
                        long lo, long hi, const latent_adam_constants *k) {
#if defined(__x86_64__)
    if (has_avx2 < 0) { __builtin_cpu_init(); has_avx2 = __builtin_cpu_supports("avx2"); }
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
    if (has_avx2) adam_avx2(p, g, extra, extraCount, m, v, lo, hi, k);
    else adam_scalar(p, g, extra, extraCount, m, v, lo, hi, k);
    _mm_setcsr(csr);
#else
    adam_scalar(p, g, extra, extraCount, m, v, lo, hi, k);
#endif
}

// Rows [r0, r1) of t from column c0 on, one element at a time.
static void transpose_scalar(const float *t, long rows, long columns, float *out, int accumulate, long r0, long r1,
                             long c0) {
    for (long r = r0; r < r1; r++)
        for (long c = c0; c < columns; c++) {
            float *o = out + c * rows + r;
            *o = accumulate ? *o + t[r * columns + c] : t[r * columns + c];
        }
}

#if defined(__x86_64__)
// 8x8 blocks: eight rows of t loaded, transposed in registers (unpack, shuffle, lane permute), eight rows of out
// stored (or added to).
__attribute__((target("avx2"))) static void transpose_avx2(const float *t, long rows, long columns, float *out,
                                                            int accumulate) {
    long r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) {
        long c0 = 0;
        for (; c0 + 8 <= columns; c0 += 8) {
            __m256 a[8], b[8], c[8];
            for (int k = 0; k < 8; k++) a[k] = _mm256_loadu_ps(t + (r0 + k) * columns + c0);
            for (int k = 0; k < 8; k += 2) {
                b[k] = _mm256_unpacklo_ps(a[k], a[k + 1]);
                b[k + 1] = _mm256_unpackhi_ps(a[k], a[k + 1]);
            }
            for (int k = 0; k < 8; k += 4) {
                c[k] = _mm256_shuffle_ps(b[k], b[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
                c[k + 1] = _mm256_shuffle_ps(b[k], b[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
                c[k + 2] = _mm256_shuffle_ps(b[k + 1], b[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
                c[k + 3] = _mm256_shuffle_ps(b[k + 1], b[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
            }
            for (int k = 0; k < 4; k++) {
                __m256 lo = _mm256_permute2f128_ps(c[k], c[k + 4], 0x20);
                __m256 hi = _mm256_permute2f128_ps(c[k], c[k + 4], 0x31);
                float *o0 = out + (c0 + k) * rows + r0, *o1 = out + (c0 + k + 4) * rows + r0;
                if (accumulate) {
                    lo = _mm256_add_ps(_mm256_loadu_ps(o0), lo);
                    hi = _mm256_add_ps(_mm256_loadu_ps(o1), hi);
                }
                _mm256_storeu_ps(o0, lo);
                _mm256_storeu_ps(o1, hi);
            }
        }
        transpose_scalar(t, rows, columns, out, accumulate, r0, r0 + 8, c0);
    }
    transpose_scalar(t, rows, columns, out, accumulate, r0, rows, 0);
}
#endif

void latent_transpose(const float *t, long rows, long columns, float *out, int accumulate) {
#if defined(__x86_64__)
    if (has_avx2 < 0) { __builtin_cpu_init(); has_avx2 = __builtin_cpu_supports("avx2"); }
    if (has_avx2) { transpose_avx2(t, rows, columns, out, accumulate); return; }
#endif
    transpose_scalar(t, rows, columns, out, accumulate, 0, rows, 0);
}

int latent_cpu_vector_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        return __builtin_cpu_supports("avx512bf16") ? 4 : 3;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx")) return 1;
#endif
    return 0;
}

int latent_affinity_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

// The widest vectors a set of OpenBLAS kernels uses (0 SSE, 1 AVX, 2 AVX2, 3 AVX-512), -1 for a name not known here.
static int kernels_level(const char *name) {
    static const char *const names[4][16] = {
        {"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington",
         "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Bobcat"},
        {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller"},
        {"Haswell", "Excavator", "Zen"},
        {"SkylakeX", "Cooperlake", "SapphireRapids"},
    };
    for (int level = 0; level < 4; level++)
        for (int i = 0; i < 16 && names[level][i]; i++)
            if (strcasecmp(name, names[level][i]) == 0) return level;
    return -1;
}

const char *latent_blas_replacement(const char *chosen, int cpu_level) {
    // AVX-512 with BF16 too gets SkylakeX, whose sgemm the Cooperlake kernels share: 0.3.21's OPENBLAS_CORETYPE
    // does not take the name Cooperlake.
    static const char *const wanted[5] = {0, "Sandybridge", "Haswell", "SkylakeX", "SkylakeX"};
    int have = kernels_level(chosen);
    if (have < 0 || cpu_level < 1) return 0;
    const char *want = wanted[cpu_level > 4 ? 4 : cpu_level];
    return kernels_level(want) > have ? want : 0;
}

static char replaced_kernels[32];

const char *latent_blas_replaced(void) { return replaced_kernels[0] ? replaced_kernels : 0; }

// Runs when the program is loaded, after OpenBLAS's own start-up (a library's initialisers run before those of
// what links it) and before any thread can multiply: OpenBLAS picks its kernels again (OPENBLAS_CORETYPE is read
// there) only between its exported gotoblas_dynamic_quit and gotoblas_dynamic_init, when it has none.
__attribute__((constructor)) static void latent_blas_match_cpu(void) {
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *(*corename)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "openblas_get_corename");
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*start)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!corename || !quit || !start) return;
    char chosen[32];
    strncpy(chosen, corename(), sizeof chosen - 1);
    chosen[sizeof chosen - 1] = 0;
    const char *want = latent_blas_replacement(chosen, latent_cpu_vector_level());
    if (!want) return;
    setenv("OPENBLAS_CORETYPE", want, 1);
    quit();
    start();
    unsetenv("OPENBLAS_CORETYPE");
    if (strcasecmp(corename(), chosen) != 0) memcpy(replaced_kernels, chosen, sizeof chosen);
}

unsigned latent_flush_subnormals(void) {
#if defined(__x86_64__)
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
    return csr;
#else
    return 0;
#endif
}

unsigned latent_float_mode(void) {
#if defined(__x86_64__)
    return _mm_getcsr();
#else
    return 0;
#endif
}

void latent_set_float_mode(unsigned mode) {
#if defined(__x86_64__)
    _mm_setcsr(mode);
#else
    (void)mode;
#endif
}

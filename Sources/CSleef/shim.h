// SLEEF (Debian: libsleef-dev): vectorised exp/log/log1p/tanh over whole arrays.
//
// SLEEF declares its AVX2 entry points only when the compiler itself targets AVX2, and Latent is built for
// plain x86-64. So this header declares the AVX2 variants with a target attribute and wraps them in array
// loops; `latent_simd_level` tells Swift once, at run time, whether the CPU can take them. Elsewhere the
// scalar SLEEF functions serve (same results to within their 1.0-ULP bound).
#include <sleef.h>
#if defined(__x86_64__)
#include <immintrin.h>

static inline int latent_simd_level(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 2 : 0;
}

#define LATENT_SLEEF_ARRAY(NAME, SLEEF8, SLEEF1)                                                         \
    __attribute__((target("avx2,fma"))) __m256 SLEEF8(__m256);                                            \
    static inline __attribute__((target("avx2,fma"))) void latent_##NAME##_avx2(const float *x, float *y, \
                                                                                long n) {                 \
        long i = 0;                                                                                       \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, SLEEF8(_mm256_loadu_ps(x + i)));               \
        for (; i < n; i++) y[i] = SLEEF1(x[i]);                                                           \
    }                                                                                                     \
    static inline void latent_##NAME##_scalar(const float *x, float *y, long n) {                        \
        for (long i = 0; i < n; i++) y[i] = SLEEF1(x[i]);                                                 \
    }
#else
static inline int latent_simd_level(void) { return 0; }
#define LATENT_SLEEF_ARRAY(NAME, SLEEF8, SLEEF1)                                                         \
    static inline void latent_##NAME##_avx2(const float *x, float *y, long n) {                          \
        for (long i = 0; i < n; i++) y[i] = SLEEF1(x[i]);                                                 \
    }                                                                                                     \
    static inline void latent_##NAME##_scalar(const float *x, float *y, long n) {                        \
        for (long i = 0; i < n; i++) y[i] = SLEEF1(x[i]);                                                 \
    }
#endif

LATENT_SLEEF_ARRAY(exp, Sleef_expf8_u10avx2, Sleef_expf_u10)
LATENT_SLEEF_ARRAY(log, Sleef_logf8_u10avx2, Sleef_logf_u10)
LATENT_SLEEF_ARRAY(log1p, Sleef_log1pf8_u10avx2, Sleef_log1pf_u10)
LATENT_SLEEF_ARRAY(tanh, Sleef_tanhf8_u10avx2, Sleef_tanhf_u10)

// SLEEF (Debian: libsleef-dev): vectorised exp/log/log1p/tanh over whole arrays.
//
// SLEEF declares its AVX2 entry points only when the compiler itself targets AVX2, and Latent is built for
// plain x86-64. So this header declares the AVX2 variants with a target attribute and wraps them in array
// loops; CKernels' `latent_cpu_vector_level` tells Swift once, at run time, whether the CPU can take them.
// Elsewhere the scalar SLEEF functions serve (same results to within their 1.0-ULP bound).
#include <sleef.h>
#if defined(__x86_64__)
#include <immintrin.h>

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

// Σ BCE(sigmoid(x), t) in the stable form log(1 + e^(−|x|)) + (max(x, 0) − x·t), summed in double, and with
// `grad` sigmoid(x) − t from the same e^(−|x|): one pass over the data (the loss kernel of every Bernoulli
// decoder). The vector loops and the scalar tail do the same operations in the same order (separate multiply and
// subtract intrinsics: nothing is contracted to FMA); the tail's exp and log1p are SLEEF's scalar functions, of
// the same 1.0-ULP bound as the vector ones, as in the array loops above.
static inline float latent_bce_term(float x, float t, float *grad) {
    float e = Sleef_expf_u10(-__builtin_fabsf(x));
    if (grad) {
        float r = 1 / (1 + e);
        *grad = (x >= 0 ? r : e * r) - t;
    }
    float xt = x * t;  // a statement of its own: never contracted with the subtraction
    float m = x != x ? x : (x > 0 ? x : 0);
    return Sleef_log1pf_u10(e) + (m - xt);
}

static inline double latent_bce_logits_scalar(const float *x, const float *t, float *grad, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += latent_bce_term(x[i], t[i], grad ? grad + i : 0);
    return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) __m256 Sleef_log1pf8_u10avx2(__m256);

static inline __attribute__((target("avx2,fma"))) double latent_bce_logits_avx2(const float *x, const float *t,
                                                                                 float *grad, long n) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1), zero = _mm256_setzero_ps();
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xi = _mm256_loadu_ps(x + i), ti = _mm256_loadu_ps(t + i);
        __m256 e = Sleef_expf8_u10avx2(_mm256_or_ps(xi, sign));
        if (grad) {
            __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, e));
            __m256 sig = _mm256_blendv_ps(_mm256_mul_ps(e, r), r, _mm256_cmp_ps(xi, zero, _CMP_GE_OQ));
            _mm256_storeu_ps(grad + i, _mm256_sub_ps(sig, ti));
        }
        __m256 l = _mm256_add_ps(Sleef_log1pf8_u10avx2(e),
                                 _mm256_sub_ps(_mm256_max_ps(zero, xi), _mm256_mul_ps(xi, ti)));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(l)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(l, 1)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
    double tail = latent_bce_logits_scalar(x + i, t + i, grad ? grad + i : 0, n - i);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + tail;
}

__attribute__((target("avx512f"))) __m512 Sleef_expf16_u10avx512f(__m512);
__attribute__((target("avx512f"))) __m512 Sleef_log1pf16_u10avx512f(__m512);

static inline __attribute__((target("avx512f"))) double latent_bce_logits_avx512(const float *x, const float *t,
                                                                                  float *grad, long n) {
    const __m512 one = _mm512_set1_ps(1), zero = _mm512_setzero_ps();
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xi = _mm512_loadu_ps(x + i), ti = _mm512_loadu_ps(t + i);
        __m512 e = Sleef_expf16_u10avx512f(_mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(xi), sign)));
        if (grad) {
            __m512 r = _mm512_div_ps(one, _mm512_add_ps(one, e));
            __mmask16 nonnegative = _mm512_cmp_ps_mask(xi, zero, _CMP_GE_OQ);
            __m512 sig = _mm512_mask_blend_ps(nonnegative, _mm512_mul_ps(e, r), r);
            _mm512_storeu_ps(grad + i, _mm512_sub_ps(sig, ti));
        }
        __m512 l = _mm512_add_ps(Sleef_log1pf16_u10avx512f(e),
                                 _mm512_sub_ps(_mm512_max_ps(zero, xi), _mm512_mul_ps(xi, ti)));
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(l)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(l), 1))));
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) +
           latent_bce_logits_scalar(x + i, t + i, grad ? grad + i : 0, n - i);
}
#else
static inline double latent_bce_logits_avx2(const float *x, const float *t, float *grad, long n) {
    return latent_bce_logits_scalar(x, t, grad, n);
}
static inline double latent_bce_logits_avx512(const float *x, const float *t, float *grad, long n) {
    return latent_bce_logits_scalar(x, t, grad, n);
}
#endif

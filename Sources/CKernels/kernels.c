#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

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

static int has_avx2 = -1;
#endif

long latent_first_sum_below(const float *a, const float *b, long n, float bound) {
#if defined(__x86_64__)
    if (has_avx2 < 0) { __builtin_cpu_init(); has_avx2 = __builtin_cpu_supports("avx2"); }
    if (has_avx2) return first_sum_below_avx2(a, b, n, bound);
#endif
    for (long j = 0; j < n; j++) if (a[j] + b[j] < bound) return j;
    return n;
}

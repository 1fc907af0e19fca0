#!/usr/bin/env bash
# Adam's vector loop divides √v by the bias correction bc = √(1 − β2^t) without the divider (Markstein's
# correction: q = RN(s·y), y = RN(1/bc); q' = RN(q + RN(s − q·bc)·y), both steps FMAs). This checks q' against the
# IEEE division for every significand of s (one binade: scaling s by a power of two scales each step exactly) and
# every distinct bc of β2 = 0.999 over all t (as Latent rounds it: double, then float), then for random divisors in
# [2^-5, 1), including the 64 largest significands (all ones and near it). Needs a C compiler, AVX2 and FMA.
#   bash Scripts/experiments/adam_division.sh [random-divisors=20000]
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/division.c" <<'C'
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
// How many significands s in [1, 2) give another q' than RN(s / b).
__attribute__((target("avx2,fma"))) static long differing(float b) {
  const float y = 1.0f / b;
  const __m256 vb = _mm256_set1_ps(b), vy = _mm256_set1_ps(y);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  long n = 0;
  for (unsigned m = 0; m < (1u << 23); m += 8) {
    __m256 s = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32(0x3f800000 | m), lanes));
    __m256 q = _mm256_mul_ps(s, vy), corrected = _mm256_fmadd_ps(_mm256_fnmadd_ps(q, vb, s), vy, q);
    n += __builtin_popcount(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_div_ps(s, vb), corrected, _CMP_NEQ_UQ)));
  }
  return n;
}
int main(int argc, char **argv) {
  long randoms = atol(argv[1]), corrections = 0, failing = 0;
  _mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);  // as Adam's loop runs
  float last = -1;
  for (long t = 1; last != 1.0f; t++) {
    float b = (float)sqrt(1 - pow(0.999, (double)t));
    if (b == last) continue;
    last = b;
    corrections++;
    long n = differing(b);
    if (n) { failing++; printf("beta2 0.999, t %ld, bc %a: %ld significands differ\n", t, b, n); }
  }
  printf("beta2 0.999: %ld distinct bias corrections, %ld with any significand differing\n", corrections, failing);
  long randomFailing = 0;
  srand(42);
  for (long i = 0; i < randoms; i++) {
    unsigned m = i < 64 ? 0x7fffffu - (unsigned)i : (((unsigned)rand() << 8) ^ (unsigned)rand()) & 0x7fffffu;
    unsigned bits = (0x3f000000u - (unsigned)(i % 5) * 0x800000u) | m;
    float b;
    memcpy(&b, &bits, sizeof b);
    long n = differing(b);
    if (n) { randomFailing++; printf("divisor %a: %ld significands differ\n", b, n); }
  }
  printf("%ld random divisors, %ld with any significand differing\n", randoms, randomFailing);
  return failing || randomFailing;
}
C
cc -O2 -o "$dir/division" "$dir/division.c" -lm
"$dir/division" "${1:-20000}"

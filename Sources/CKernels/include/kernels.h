// Hand-vectorised loops that Swift's SIMD types compile poorly (lane masks and their reductions).
#pragma once

/// The first j in [0, n) with a[j] + b[j] < bound, or n when there is none.
long latent_first_sum_below(const float *a, const float *b, long n, float bound);

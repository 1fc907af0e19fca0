#!/usr/bin/env bash
# Which rows of a weight gradient (C = Aᵀ·B, k = 64, row-major: C's rows are OpenBLAS's columns) come out with
# other bits when a product covers only some of the rows, against one product over all of them, for each OpenBLAS
# kernel family this CPU can run. On Haswell and Zen kernels rows are summed in blocks of 12, and a block that
# starts elsewhere, or a short one at a product's end, sums in another order: the reason `PlannedTeam.rowGrid`
# starts every product on a multiple of 96 rows (rows 6..<400 differ, 12..<400 do not).
#   bash Scripts/experiments/gemm_row_blocks.sh
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/rows.c" <<'C'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
// argv: outputs inputs, then pairs r0 r1: C's rows [r0, r1) in a product of their own.
int main(int argc, char **argv) {
  int outputs = atoi(argv[1]), inputs = atoi(argv[2]), k = 64;
  float *a = malloc(4L * k * outputs), *b = malloc(4L * k * inputs);
  float *whole = malloc(4L * outputs * inputs), *part = malloc(4L * outputs * inputs);
  srand(1);
  for (long i = 0; i < (long)k * outputs; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
  for (long i = 0; i < (long)k * inputs; i++) b[i] = rand() / (float)RAND_MAX;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, outputs, inputs, k, 1, a, outputs, b, inputs, 0, whole,
              inputs);
  for (int i = 3; i + 1 < argc; i += 2) {
    int r0 = atoi(argv[i]), r1 = atoi(argv[i + 1]), differing = 0, run = -1;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1 - r0, inputs, k, 1, a + r0, outputs, b, inputs, 0,
                part + (long)r0 * inputs, inputs);
    printf("  rows %d..<%d:", r0, r1);
    for (int r = r0; r < r1; r++) {  // print each run of differing rows as first-last
      int d = 0;
      for (int c = 0; c < inputs; c++) d |= part[(long)r * inputs + c] != whole[(long)r * inputs + c];
      differing += d;
      if (d && run < 0) run = r;
      if (run >= 0 && (!d || r == r1 - 1)) { printf(" %d-%d", run, d ? r : r - 1); run = -1; }
    }
    printf(differing ? " (%d rows differ)\n" : " the same bits\n", differing);
  }
  return 0;
}
C
cc -O2 "$dir/rows.c" -o "$dir/rows" $(pkg-config --cflags --libs openblas 2>/dev/null || echo -lopenblas)
cores="Prescott Sandybridge Haswell Zen"
grep -qw avx512f /proc/cpuinfo && cores="$cores SkylakeX"
for core in $cores; do
  echo "OpenBLAS $core kernels, C of 400 x 784 (the reference VAE's first layer):"
  OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$core "$dir/rows" 400 784 \
    0 334 334 400 200 400 0 288 288 400 192 400 6 400 12 400
done

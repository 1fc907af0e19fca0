#!/usr/bin/env bash
# The reference MLP VAE's speed on this machine, what issue 13 asks of every CPU in one report: the CPU and its
# topology, Latent and PyTorch side by side, the GEMM bound measured in the same rounds (`latent bench --gemm-only
# --json`: the faster way to split the products; Latent and the bound in turns) with Latent's share of it, Latent
# with its threads inside BLAS instead of data-parallel workers (`--threaded-blas`), how far apart the two CPUs were
# in each round (a cache line's one-way trip between them, Scripts/experiments/core_latency.sh: ~170 ns instead of
# ~35 ns on the AMD EPYC VM when the vCPUs seemed to sit on different dies, and then data-parallel training slowed),
# and where a step's time goes (`perf record`, when perf is installed and allowed).
# Needs PyTorch: Scripts/venv.sh installs it into .venv (run here).
#   bash Scripts/mlp_speed_report.sh [rounds=5] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
threads=${2:-2}
swift build -c release --product latent >/dev/null
# PyTorch from the project's venv (the tests' pinned torch 2.13.0+cpu), made or brought up to date here.
bash Scripts/venv.sh
export PATH="$PWD/.venv/bin:$PATH"
latent=.build/release/latent
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(grep -m1 'vendor_id' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs," \
  "$(lscpu | awk -F: '/Thread\(s\) per core/ {gsub(/ /, "", $2); print $2}') thread(s) per core," \
  "$(grep -q -w avx512f /proc/cpuinfo && echo avx512f || echo avx2)"
lscpu | grep -E '^(L2|L3) cache' | sed 's/  */ /g'
"$latent" bench --gemm-only --threads 1 --steps 1 --runs 1 | grep '^OpenBLAS kernels: '
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(round($1))"; }
rows=()
for r in $(seq "$rounds"); do
  c=$(bash Scripts/experiments/core_latency.sh 2>/dev/null || echo "?")
  # Latent and the bound in turns, a few seconds apart, three times: a VM's slow and fast spells (they last seconds
  # to minutes) then fall on both sides of each pair; the round's share is the median of the pairs'.
  pairs=()
  for _ in 1 2 3; do
    pl=$("$latent" bench --threads "$threads" --steps 300 --runs 2 --json | json 'd["images_per_second"]')
    pb=$("$latent" bench --gemm-only --threads "$threads" --steps 200 --runs 2 --json \
      | json 'd["images_per_second"]')
    pairs+=("$pl/$pb")
  done
  read -r l b s < <(python3 -c "import statistics, sys
p = [tuple(map(float, x.split('/'))) for x in sys.argv[1:]]
print(round(statistics.median(x for x, _ in p)), round(statistics.median(y for _, y in p)),
      statistics.median(x / y for x, y in p))" "${pairs[@]}")
  t=$(cd Scripts/pytorch && python3 vae_reference.py --threads "$threads" --bench-steps 300 \
    | json 'd["images_per_second"]')
  h=$("$latent" bench --threads "$threads" --threaded-blas --steps 300 --runs 5 --json | json 'd["images_per_second"]')
  echo "round $r: Latent $l, PyTorch $t, GEMM bound $b (Latent/bound in turns: ${pairs[*]}), Latent with threads" \
    "inside BLAS $h images/s (CPU 0 to CPU 1: $c ns, then $(bash Scripts/experiments/core_latency.sh 2>/dev/null \
    || echo "?") ns)"
  rows+=("$l $t $b $h $s")
done
python3 - "${rows[@]}" <<'PY'
import statistics, sys
l, t, b, h, s = zip(*(map(float, r.split()) for r in sys.argv[1:]))
ml, mt, mb, mh, share = (statistics.median(x) for x in (l, t, b, h, s))
print(f"median: Latent {ml:,.0f} images/s, PyTorch {mt:,.0f}, ratio {ml / mt:.2f}x; "
      f"GEMM bound {mb:,.0f}, Latent at {100 * share:.1f}% of it (median of the rounds' shares, each the median "
      f"of three pairs measured in turns: {', '.join(f'{100 * x:.1f}' for x in s)}); "
      f"threads inside BLAS instead of data-parallel workers: {mh:,.0f} ({mh / ml:.2f}x)")
PY
# Whether the threads are cores or hyperthreads of one core shows in how the products scale from one thread.
one=$("$latent" bench --gemm-only --threads 1 --steps 200 --runs 5 --json | json 'd["images_per_second"]')
echo "GEMM bound on 1 thread: $one images/s (the $threads-thread bound's rounds are above)"
if command -v perf >/dev/null && perf record -q -o /tmp/latent-mlp.perf "$latent" bench --threads "$threads" \
  --steps 400 --runs 3 >/dev/null 2>&1; then
  echo "where a step's time goes (perf record of latent bench):"
  perf report -i /tmp/latent-mlp.perf --no-children --sort symbol 2>/dev/null | grep '%' | grep -v '^#' \
    | sed -n 1,15p | cut -c1-100
else
  echo "(no perf profile: perf is missing or not allowed here)"
fi

#!/usr/bin/env bash
# Latent vs PyTorch training speed on this machine, same configurations and thread count, runs alternating
# so that drifting clocks and neighbours hit both alike.
# Needs PyTorch: Scripts/venv.sh installs it into .venv (run here); the emoji case makes its folder when missing,
# which needs apt-get install fonts-noto-color-emoji (its Python tools go into .venv-emoji here).
#   bash Scripts/bench_side_by_side.sh [rounds=3] [threads=2] [case filter, e.g. conv]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=${2:-2}
only=${3:-}
swift build -c release --product latent >/dev/null
# PyTorch from the project's venv (the tests' pinned torch 2.13.0+cpu), made or brought up to date here.
bash Scripts/venv.sh
export PATH="$PWD/.venv/bin:$PATH"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "machine: $(nproc) cores, $cpu, $(grep -q -w avx512f /proc/cpuinfo && echo avx512f || echo avx2)"
ips() { python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])'; }
EMOJI=${LATENT_EMOJI:-$HOME/.cache/latent/emoji}
while IFS=$'\t' read -r name c steps reference <&3; do
  [[ -z "$only" || "$name" == *"$only"* ]] || continue
  c=${c//\$EMOJI/$EMOJI}; reference=${reference//\$EMOJI/$EMOJI}
  if [[ "$c" == *"$EMOJI"* && ! -d "$EMOJI" ]]; then
    bash Scripts/venv.sh --dir .venv-emoji Scripts/emoji/requirements.txt
    .venv-emoji/bin/python Scripts/emoji/make_emoji.py "$EMOJI" >&2
  fi
  latent=(); torch=()
  for _ in $(seq "$rounds"); do
    # shellcheck disable=SC2086
    latent+=("$(.build/release/latent bench $c --threads "$threads" --steps "$steps" --runs 5 --json | ips)")
    # shellcheck disable=SC2086
    torch+=("$(cd Scripts/pytorch && python3 ${reference:-vae_reference.py $c} --threads "$threads" \
      --bench-steps "$steps" | ips)")
  done
  python3 - "$name" "$threads" "${latent[*]}" "${torch[*]}" <<'PY'
import statistics, sys
name, threads = sys.argv[1], sys.argv[2]
l, t = list(map(float, sys.argv[3].split())), list(map(float, sys.argv[4].split()))
ml, mt = statistics.median(l), statistics.median(t)
print(f"{name}, {threads} threads: Latent {ml:,.0f} images/s, PyTorch {mt:,.0f} images/s, ratio {ml/mt:.2f}x"
      f"  (per round: Latent {', '.join(f'{x:,.0f}' for x in l)}; PyTorch {', '.join(f'{x:,.0f}' for x in t)})")
PY
done 3< <(grep -v '^#' Scripts/bench_cases.tsv)
[[ -n "$only" ]] || .build/release/latent bench --gemm-only --threads "$threads" --steps 200 --runs 5

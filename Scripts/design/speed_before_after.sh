#!/usr/bin/env bash
# Training speed of a redesign, side by side: the release build of an earlier commit (BASE), this tree's, and
# PyTorch, on the benchmark cases (Scripts/bench_cases.tsv), rounds alternating (the two builds' order too) so
# that drifting clocks hit all three alike. The deep conv case reads 2,000 random 64x64 colour PNGs (speed does
# not depend on their content).
#   bash Scripts/design/speed_before_after.sh BASE_LATENT [rounds=3] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
base=$1; rounds=${2:-3}; threads=${3:-2}
swift build -c release --product latent >/dev/null
bash Scripts/venv.sh >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
pictures=$(mktemp -d)
trap 'rm -rf "$pictures"' EXIT
python3 - "$pictures" <<'PY'
import os, random, struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
rng = random.Random(1)
for i in range(2000):
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(64 * 3)) for _ in range(64))
    with open(os.path.join(sys.argv[1], f"{i:04d}.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
ips() { python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])'; }
while IFS=$'\t' read -r name c steps reference <&3; do
  c=${c//\$EMOJI/$pictures}; reference=${reference//\$EMOJI/$pictures}
  before=(); after=(); torch=()
  for round in $(seq "$rounds"); do
    # Whichever runs first in a round tends to be faster on these VMs: odd rounds run the old build first.
    for which in $( ((round % 2)) && echo "before after" || echo "after before"); do
      binary=$base; [ "$which" = after ] && binary=.build/release/latent
      # shellcheck disable=SC2086
      rate=$("$binary" bench $c --threads "$threads" --steps "$steps" --runs 5 --json | ips)
      if [ "$which" = after ]; then after+=("$rate"); else before+=("$rate"); fi
    done
    # shellcheck disable=SC2086
    torch+=("$(cd Scripts/pytorch && python3 ${reference:-vae_reference.py $c} --threads "$threads" \
      --bench-steps "$steps" | ips)")
  done
  python3 - "$name" "${before[*]}" "${after[*]}" "${torch[*]}" <<'PY'
import statistics, sys
name = sys.argv[1]
b, a, t = (statistics.median(map(float, s.split())) for s in sys.argv[2:5])
print(f"{name}: before {b:,.0f}, after {a:,.0f} images/s ({a / b:.3f}x), PyTorch {t:,.0f}; "
      f"ratio to PyTorch {b / t:.2f}x before, {a / t:.2f}x after")
PY
done 3< <(grep -v '^#' Scripts/bench_cases.tsv)

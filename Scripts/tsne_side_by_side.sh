#!/usr/bin/env bash
# `latent tsne` vs openTSNE 1.0.4 on this machine, same input (MNIST pixels → PCA 50), same thread count,
# runs alternating; wall time of each and the 5-fold 10-NN accuracy of each embedding computed by the same
# scikit-learn code. openTSNE 1.0.4 (it brings scikit-learn) is installed into .venv-tsne.
#   bash Scripts/tsne_side_by_side.sh [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
swift build -c release --product latent >/dev/null
bash Scripts/venv.sh --dir .venv-tsne Scripts/tsne/requirements.txt   # the reference, in its own venv
export PATH="$PWD/.venv-tsne/bin:$PATH"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
out=$(mktemp -d)
fold5() {  # embedding.npy → "5-fold <accuracy>"
  python3 Scripts/tsne/knn_accuracy.py "$1" \
    | python3 -c 'import json,sys; print("5-fold", json.load(sys.stdin)["knn10_accuracy_5fold"])'
}
run_latent() {  # split method
  local t0 t1
  t0=$(date +%s.%N)
  .build/release/latent tsne --split "$1" --method "$2" --threads "$threads" --out "$out/latent-$1.npy" \
    > "$out/latent-$1.log"
  t1=$(date +%s.%N)
  echo "Latent   $1 ($2): $(python3 -c "print(f'{$t1-$t0:.1f}')") s wall," \
    "$(grep -o 'knn10_accuracy.*' "$out/latent-$1.log") (leave-one-out), $(fold5 "$out/latent-$1.npy")"
}
run_open() {  # split method
  local r
  r=$(python3 Scripts/tsne/opentsne_reference.py --split "$1" --method "$2" --threads "$threads" \
    --out "$out/open-$1.npy")
  echo "openTSNE $1 ($2): $(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])') s" \
    "(PCA + t-SNE), $(fold5 "$out/open-$1.npy")"
}
run_open test bh;  run_latent test bh
run_open all fft;  run_latent all fft
rm -rf "$out"

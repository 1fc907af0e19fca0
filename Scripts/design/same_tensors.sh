#!/usr/bin/env bash
# Trains the five reference models (seed 1, 2 epochs: VAE, CVAE, IWAE, DAE, deep conv VAE) with a release build
# and prints a hash of each checkpoint's tensors (Scripts/design/tensor_hashes.py): run it before and after a
# change that must leave the arithmetic alone, and compare.
# Usage: Scripts/design/same_tensors.sh [LATENT_BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
latent=${1:-.build/release/latent}
out=${2:-/tmp/latent-same-tensors}
rm -rf "$out" && mkdir -p "$out"
run() {
    local name=$1; shift
    "$latent" train --seed 1 --epochs 2 --no-progress --out "$out/$name" "$@" > "$out/$name.log"
    printf '%-9s ' "$name"
    python3 Scripts/design/tensor_hashes.py "$out/$name/model.safetensors" | tail -1
}
run vae --model vae
run cvae --model cvae
run iwae --model iwae --k 5
run dae --model dae --noise mask:0.3
run deepconv --model vae --arch deepconv --limit 10000

#!/usr/bin/env bash
# Heap allocations per training step, counted by ordo-one's malloc interposer (built from the Benchmarks/
# package and preloaded). Any `latent bench` options may follow; the default is the reference MLP VAE.
#   bash Scripts/count_allocations.sh [--threads 2] [--model ae --hidden 512,256 --latent 32]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product latent >/dev/null
swift build -c release --package-path Benchmarks --product MallocInterposerSwift >/dev/null
lib=$(find Benchmarks/.build -name libMallocInterposerSwift.so -path '*release*' | head -1)
LD_PRELOAD="$PWD/$lib" .build/release/latent bench --count-allocations --steps 100 --runs 3 "$@"

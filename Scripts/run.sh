#!/usr/bin/env bash
# The main job: install what is missing (Scripts/setup.sh: the libraries `latent` needs, no test tools), build in
# release mode, train the default VAE on the bundled MNIST and write its pictures to runs/vae/ (replacing an
# earlier run there). Extra arguments go to `latent train` (e.g. --epochs 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release --product latent
.build/release/latent train --model vae --dataset mnist --epochs 10 --out runs/vae --force "$@"
echo "pictures: runs/vae/samples.png runs/vae/reconstructions.png"

#!/usr/bin/env bash
# The library's documentation: a DocC archive of every library module, with the catalog in
# Sources/Latent/Latent.docc (the "Train a VAE in Swift" article). Warnings fail the build.
# Output: .build/plugins/Swift-DocC/outputs/Latent.doccarchive (open with `docc preview` or serve it).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(Latent LatentTensor LatentAutodiff LatentNN LatentOptim LatentData LatentCheckpoint LatentRender
         LatentModels LatentStats LatentEmbedding LatentEval LatentTraining LatentService LatentServer)
swift package --disable-sandbox generate-documentation --enable-experimental-combined-documentation \
  --warnings-as-errors $(printf -- '--target %s ' "${targets[@]}") "$@"

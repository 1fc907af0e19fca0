#!/usr/bin/env bash
# Anomaly detection on MNIST: for each digit K, train the reference VAE without K, score the whole test set,
# and report ROC AUC of K-vs-rest for the reconstruction and ELBO scores, then their means.
#   bash Scripts/experiments/anomaly.sh [epochs=10] [out=runs/anomaly] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-10}; out=${2:-runs/anomaly}; threads=${3:-2}
swift build -c release --product latent >/dev/null
latent=.build/release/latent
mkdir -p "$out"
for k in 0 1 2 3 4 5 6 7 8 9; do
  $latent train --model vae --exclude-label "$k" --epochs "$epochs" --seed 1 --threads "$threads" \
    --out "$out/without-$k" --force > "$out/without-$k.log"
  for s in recon elbo; do
    $latent anomaly "$out/without-$k" --score "$s" --anomaly-label "$k" --out "$out/without-$k/scores-$s.csv" \
      --plot "$out/without-$k/histogram-$s.png" --json --threads "$threads" > "$out/without-$k/auc-$s.json"
  done
  auc() { python3 -c "import json; print(round(json.load(open('$out/without-$k/auc-$1.json'))['roc_auc'], 4))"; }
  echo "digit $k: ROC AUC recon $(auc recon), elbo $(auc elbo)"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
for s in ("recon", "elbo"):
    aucs = [json.load(open(f"{out}/without-{k}/auc-{s}.json"))["roc_auc"] for k in range(10)]
    print(f"mean ROC AUC ({s}): {sum(aucs) / 10:.4f}")
PY

#!/usr/bin/env bash
# Trains every member of the family on MNIST (10 epochs, seed 1) and prints the figures the family issue
# asks for, each from `latent eval --json`. ~25 minutes on 2 cores. Results go to ${OUT:-runs/family}.
#   bash Scripts/experiments/family.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product latent >/dev/null
L=.build/release/latent
OUT=${OUT:-runs/family}
mkdir -p "$OUT"
T="--epochs 10 --seed 1 --no-progress"
train() { local name=$1; shift; $L train "$@" $T --out "$OUT/$name" --force > "$OUT/$name.log"; }
ev() { $L eval "$OUT/$1" --json "${@:2}"; }

train ae --model ae --hidden 512,256 --latent 32
train sae --model sae --hidden 512,256 --latent 32 --sparsity-target 0.05 --sparsity-weight 0.5
for n in gaussian:0.5 mask:0.5 salt-pepper:0.2; do
  train "dae-$n" --model dae --noise "$n" --hidden 512,256 --latent 32
done
train classifier --model classifier --hidden 512,256
train cvae --model cvae --hidden 512 --latent 2
train vae --model vae --hidden 400 --latent 20
train beta4 --model vae --hidden 400 --latent 20 --beta 4
train conv-vae --model vae --arch conv --hidden 256 --latent 20

echo "AE (32-d code) vs PCA (32 components), test_mse:"
echo "  AE  $(ev ae)"
echo "  PCA $($L pca --components 32 --json)"
echo "SAE (rho 0.05): $(ev sae)"
for n in gaussian:0.5 mask:0.5 salt-pepper:0.2; do echo "DAE $n: $(ev "dae-$n")"; done
echo "classifier: $(ev classifier)"
echo "CVAE judged: $($L eval "$OUT/cvae" --judge "$OUT/classifier" --json)"
echo "MLP VAE: $(ev vae)"
echo "conv VAE: $(ev conv-vae)"
echo "beta=4 VAE: $(ev beta4)"

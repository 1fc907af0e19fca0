#!/usr/bin/env bash
# Installs the system libraries Latent builds against and the tools its tests use (Debian/Ubuntu, as root or
# with sudo; Python packages with pip).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: Swift 6 is needed (https://www.swift.org/install/linux/); 'swift' is not on PATH" >&2
  exit 1
fi
packages=(pkg-config libopenblas-dev liblapacke-dev libsleef-dev zlib1g-dev libcairo2-dev libfftw3-dev libssl-dev
          libpng-dev libturbojpeg0-dev libdnnl-dev
          fonts-dejavu-core jq
          chromium chromium-driver wrk
          libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The server's tests drive a browser (Selenium) and check the API against its OpenAPI document (schemathesis);
# the TensorBoard check reads event files with tensorboard's own reader.
if ! python3 -c 'import selenium, schemathesis, tensorboard' 2>/dev/null; then
  echo "setup: installing Scripts/server/requirements.txt Scripts/tensorboard/requirements.txt" >&2
  python3 -m pip install -q -r Scripts/server/requirements.txt -r Scripts/tensorboard/requirements.txt
fi
# `latent export --onnx` is checked with onnx and ONNX Runtime, python/latent_torch.py with PyTorch.
if ! python3 -c 'import onnx, onnxruntime, torch, safetensors' 2>/dev/null; then
  echo "setup: installing Scripts/interop/requirements.txt" >&2
  python3 -m pip install -q -r Scripts/interop/requirements.txt
fi

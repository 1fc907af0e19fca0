#!/usr/bin/env bash
# What the tests need besides what `latent` needs (Scripts/setup.sh, run first): a browser and its driver, wrk,
# Open MPI's runtime, jq and python3-venv from Scripts/setup/test-packages.txt, and the pinned Python tools of
# Scripts/requirements-test.txt in the project's virtual environment .venv (Scripts/venv.sh; never the system
# Python). Safe to run again: it installs only what is missing, and prints nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
if [ "${LATENT_SKIP_PACKAGES:-0}" != 1 ]; then
  source Scripts/setup/packages.sh
  install_packages setup_tests Scripts/setup/test-packages.txt
fi
bash Scripts/venv.sh

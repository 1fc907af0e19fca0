#!/usr/bin/env bash
# What `latent` needs to build and run, and nothing else: the C libraries, pkg-config and a font, from
# Scripts/setup/run-packages.txt (Debian/Ubuntu; as root or with sudo). The tests' tools are installed by
# Scripts/setup_tests.sh. Safe to run again: it installs only what is missing, and prints nothing when all is there.
# LATENT_SKIP_PACKAGES=1 skips the package check (another distribution, with the libraries installed by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: Swift 6 is needed and 'swift' is not on PATH: install it (https://www.swift.org/install/linux/)" \
    "and put its usr/bin on PATH" >&2
  exit 1
fi
[ "${LATENT_SKIP_PACKAGES:-0}" = 1 ] && exit 0
source Scripts/setup/packages.sh
install_packages setup Scripts/setup/run-packages.txt

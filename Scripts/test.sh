#!/usr/bin/env bash
# The whole test suite, in release mode (numeric code is slow in debug builds). Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
swift build -c release            # the CLI tests run the built `latent` executable
swift test -c release "$@"

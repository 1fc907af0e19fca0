#!/usr/bin/env bash
# Load on `latent serve`: wrk POSTs one code to /decode for DURATION from CONNECTIONS connections on loopback and
# reports requests/s and latency percentiles; the server's RSS before and after shows whether memory stays flat.
# Usage: bash Scripts/server/load.sh [RUN_DIR] [DURATION=30s] [CONNECTIONS=4]
# Without RUN_DIR it trains the reference MLP VAE (latent 20, 10 epochs, seed 1) into a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
run=${1:-}; duration=${2:-30s}; connections=${3:-4}
latent=.build/release/latent
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -z "$run" ]; then
  run=$work/vae
  "$latent" train --epochs 10 --seed 1 --out "$run" >/dev/null
fi
"$latent" serve "$run" --port 0 >"$work/out" 2>/dev/null &
server=$!
for _ in $(seq 100); do grep -q "http://" "$work/out" && break; sleep 0.1; done
port=$(sed -n 's|.*http://[^:]*:\([0-9]*\)/.*|\1|p' "$work/out")
latent_size=$(curl -s "localhost:$port/model" | python3 -c 'import json, sys; print(json.load(sys.stdin)["latent"])')
code=$(python3 -c "print(','.join(['0.1'] * $latent_size))")
cat >"$work/decode.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"codes": [[$code]]}'
wrk.headers["Content-Type"] = "application/json"
LUA
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$server/status"; }
curl -s -o /dev/null -XPOST -H 'Content-Type: application/json' -d "{\"codes\": [[$code]]}" "localhost:$port/decode"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; model: $run (latent $latent_size)"
echo "server RSS before: $(rss)"
wrk -t 2 -c "$connections" -d "$duration" --latency -s "$work/decode.lua" "http://127.0.0.1:$port/decode"
echo "server RSS after: $(rss)"
wrk -t 2 -c "$connections" -d "$duration" --latency -s "$work/decode.lua" "http://127.0.0.1:$port/decode" \
  | grep -E "Requests/sec|Non-2xx|errors" || true
echo "server RSS after a second run: $(rss)"

#!/usr/bin/env bash
# Fuzzes every file parser with libFuzzer + AddressSanitizer: IDX, NPY, NPZ, CSV, safetensors, PNG/JPEG (decoding
# and resizing), the checkpoint loader's configuration-vs-tensors validation, and the decoded-picture cache's
# reader. Each parser
# starts from the committed seed corpus (Fuzz/Corpus/<parser>) and runs RUNS inputs (default 1,000,000)
# with a 10 s per-input timeout and a 2 GB memory limit; the grown corpus stays in a temporary directory.
# A crash leaves its input in Fuzz/crashes/ (commit it to Fuzz/Corpus/<parser> as a regression seed).
#   bash Scripts/fuzz.sh [runs=1000000] [parser ...]     (parsers: idx npy npz csv safetensors checkpoint image cache)
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
runs=${1:-1000000}; shift || true
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(idx npy npz csv safetensors checkpoint image cache)
flags=(-c release -Xswiftc -sanitize=fuzzer,address)
swift build "${flags[@]}" >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)
mkdir -p crashes
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp Corpus/"$t"/* "$work"/
  start=$(date +%s)
  LATENT_FUZZ_PARSER="$t" "$bin/FuzzParsers" -runs="$runs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix=crashes/"$t"- -print_final_stats=1 "$work" > "crashes/$t.log" 2>&1 \
    && status="0 crashes" || status="FAILED (see Fuzz/crashes/$t.log)"
  inputs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "crashes/$t.log" | grep -o '[0-9]*$')
  echo "$t: $inputs inputs in $(( $(date +%s) - start )) s, $status"
  rm -rf "$work"
done

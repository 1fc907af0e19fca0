#!/usr/bin/env bash
# Writes Tests/LatentTests/Fixtures/legacy/: one small checkpoint of each kind and body, trained by the latent
# binary given (run once with the release build of 890736e, the last commit before issue 36), and expected.json,
# what `latent eval --json` of that binary reported for each. LegacyCheckpointTests loads them with today's code
# and requires the same figures: checkpoints written before a redesign keep loading and evaluating alike.
# Usage: Scripts/design/make_legacy_checkpoints.sh LATENT_BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."
latent=$1
dir=Tests/LatentTests/Fixtures/legacy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$dir" && mkdir -p "$dir"
small=(--hidden 16 --latent 2 --limit 300 --epochs 1 --seed 1 --no-progress)
make() {
    local name=$1; shift
    "$latent" train "${small[@]}" --out "$work/$name" "$@" > /dev/null
    cp "$work/$name/model.safetensors" "$dir/$name.safetensors"
}
make ae --model ae
make sae --model sae --sparsity-weight 0.1
make dae --model dae --noise gaussian:0.3
make vae --model vae
make vae_gaussian --model vae --likelihood gaussian
make iwae --model iwae --k 3
make cvae --model cvae
make classifier --model classifier
make conv_vae --model vae --arch conv --conv-channels 4,8
make deepconv_vae --model vae --arch deepconv --conv-channels 4,8 --hidden 16
{
    echo "{"
    first=1
    for f in "$dir"/*.safetensors; do
        name=$(basename "$f" .safetensors)
        [ $first = 1 ] || echo ","
        first=0
        printf '  "%s": %s' "$name" "$("$latent" eval "$f" --json)"
        case $name in vae|cvae)
            printf ',\n  "%s_iwae": %s' "$name" "$("$latent" eval "$f" --json --iwae-k 4 --images 50 --seed 3)" ;;
        esac
    done
    printf '\n}\n'
} > "$dir/expected.json"
ls -la "$dir"

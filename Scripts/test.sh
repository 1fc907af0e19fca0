#!/usr/bin/env bash
# The whole test suite, in release mode (numeric code is slow in debug builds). Installs what is missing
# (Scripts/setup_tests.sh: the libraries, the test tools, the Python tools in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time, printed as it ends (where the suite's time goes; the README states the totals).
phase_start=$SECONDS
phase() { echo "test.sh: $1 took $((SECONDS - phase_start)) s"; phase_start=$SECONDS; }
bash Scripts/setup_tests.sh
phase "setup"
# Every Python script the tests run, and every `python3` a test starts, is the project venv's interpreter.
export PATH="$PWD/.venv/bin:$PATH"
# The run path installs no test tool (Scripts/check_setup.sh).
bash Scripts/check_setup.sh
phase "check_setup"
# Style is a ratchet, not a review comment: the committed .swift-format (120 columns, documented public API).
swift format lint --strict --recursive Sources Examples
# …and every code file's lines within 120 bytes (swift format counts characters, skips some comments, and reads
# no C, Python or shell).
long=$(git ls-files '*.swift' '*.c' '*.h' '*.py' '*.sh' | xargs awk 'length($0) > 120 {print FILENAME ":" FNR}')
[ -z "$long" ] || { echo "test.sh: lines over 120 characters: $long" >&2; exit 1; }
# A model kind is one file: each kind is named in at most 3 files of Sources/ (its own, the registry and the CLI's
# option list not counted), so adding one touches nothing else (issue 36).
python3 Scripts/design/kind_files.py --limit 3
# Package.swift is the architecture diagram: no module imports a module it does not declare.
python3 Scripts/design/module_imports.py > /dev/null || python3 Scripts/design/module_imports.py
swift build -c release            # the CLI tests run the built `latent` executable
phase "lint and build"
# No test uses @testable import: without testability the tests link the modules `swift build` just built, instead
# of compiling the whole package a second time (and a third, for the `latent` the scripts below run).
swift test -c release --disable-testable-imports "$@"
phase "swift test"
# A steady-state training step makes no heap allocation of Latent's (issues 4 and 13): the MLP VAE, the 28x28 conv
# VAE and the deep conv VAE (BatchNorm shared by the workers), counted by ordo-one's malloc interposer on 2
# data-parallel workers; a regression fails the suite. The conv steps are counted on im2col (LATENT_ONEDNN=0): on
# oneDNN's kernels (the default with AVX-512) each kernel call allocates its argument map inside libdnnl: shown.
count() {
  # shellcheck disable=SC2086
  bash Scripts/count_allocations.sh --threads 2 --steps 20 --runs 1 --json $1 \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["allocations_per_step"])'
}
for model in "MLP VAE:" "conv VAE:--arch conv --hidden 256" "deep conv VAE:--arch deepconv"; do
  name=${model%%:*}; options=${model#*:}
  allocations=$(LATENT_ONEDNN=0 count "$options")
  if [ "$allocations" != "0" ] && [ "$allocations" != "0.0" ]; then
    echo "test.sh: the $name's training step made $allocations heap allocations per step; expected 0" >&2
    exit 1
  fi
  if [ -n "$options" ]; then
    on_dnnl=$(LATENT_ONEDNN=1 count "$options")
    echo "heap allocations per training step ($name, 2 workers): 0 on im2col; $on_dnnl on oneDNN"
  else
    echo "heap allocations per training step ($name, 2 workers): 0"
  fi
done
# The MLP step on the kernels OpenBLAS picks for other CPUs (Skylake-X: Intel Xeons, whose small-matrix kernels call
# malloc for untransposed products; Haswell: AVX2 only): none either.
cores="Haswell"; grep -qw avx512f /proc/cpuinfo && cores="SkylakeX Haswell"
for core in $cores; do
  allocations=$(OPENBLAS_CORETYPE=$core count "")
  if [ "$allocations" != "0" ] && [ "$allocations" != "0.0" ]; then
    echo "test.sh: on OpenBLAS's $core kernels the MLP VAE's step made $allocations heap allocations; expected 0" >&2
    exit 1
  fi
done
echo "heap allocations per training step (MLP VAE, 2 workers, OpenBLAS's ${cores// / and } kernels): 0"
phase "allocation counts"
# Each check below is a script that exits non-zero on its first failure and prints one line of figures.
check() { local label=$1 figures; shift; figures=$("$@"); echo "$label: $figures"; }
# `latent serve` with real clients (Scripts/server/test_server.py): hostile requests and a slowloris client, /decode
# equal to `latent decode` bit for bit, schemathesis against /openapi.json, headless Chromium on the explorer page.
check "latent serve" python3 Scripts/server/test_server.py
phase "serve"
# Training over Open MPI (Scripts/mpi/check_mpi.py): 2 processes train as 2 threads do (VAE, AE on the graph,
# CVAE, conv VAE), --resume under mpirun, a killed rank stops the job and leaves a loadable checkpoint.
check "latent train under mpirun" python3 Scripts/mpi/check_mpi.py
# Processes given different flags or data (Scripts/mpi/check_mpi_hostile.py): one line naming the difference, no
# crash, hang or file; Ctrl-C under mpirun stops every process after the same step and prints the resume command.
check "latent train under mpirun, hostile" python3 Scripts/mpi/check_mpi_hostile.py
phase "mpirun"
# Saves are transactions (Scripts/reliability/check_saves.py): SIGKILL at each rename and fsync of a save (strace),
# and a full tmpfs at each write, then --resume reaches an uninterrupted run's weights byte for byte.
check "latent train saves under faults" python3 Scripts/reliability/check_saves.py
phase "saves under faults"
# Cheap checks before expensive work (Scripts/reliability/check_decoding.py): huge pictures and --image-size 4096
# refused from the headers before any decoding; Ctrl-C while a folder decodes exits within a second.
check "latent train on big pictures" python3 Scripts/reliability/check_decoding.py
# A picture folder is opened and read once per `latent train`, cache cold or warm (strace; issue 36).
check "latent train reads a folder once" python3 Scripts/design/folder_reads.py
phase "decoding checks"
# The second trust review's CLI cases and variants (Scripts/reliability/hostile_round_two.py): the picture cache,
# the user's files, links, arrays, labels, sizes, moved folders; each one clean or the suite fails.
hostile=$(python3 Scripts/reliability/hostile_round_two.py) || { echo "$hostile" >&2; exit 1; }
echo "hostile CLI cases, round two: $(echo "$hostile" | jq -c '{cases, counts}')"
phase "hostile cases"
# TensorBoard's own reader reads `latent train --tensorboard` (Scripts/tensorboard/check_events.py).
check "latent train --tensorboard" python3 Scripts/tensorboard/check_events.py
phase "tensorboard"
# Latent's models outside Latent (Scripts/interop/check_interop.py): `latent export --onnx` through onnx.checker and
# ONNX Runtime, python/latent_torch.py in PyTorch, both equal to Latent's own outputs to 1e-5, for 16 models.
check "ONNX export and latent_torch" python3 Scripts/interop/check_interop.py
# The family against Pythae itself (Scripts/family/check_pythae.py): each kind Pythae also has, trained by Latent and
# loaded into Pythae's model, has Pythae's test loss and regularisation term within Monte-Carlo error (issue 37).
check "the family against Pythae" python3 Scripts/family/check_pythae.py
phase "interop"
# The README's "Use it from Swift" program, built against the package in a fresh directory, trains and prints.
loss_line=$(bash Scripts/check_swift_example.sh)
echo "README Swift program: $loss_line"
phase "README program"
case "$loss_line" in
  "test loss: "*) ;;
  *) echo "test.sh: the README's Swift program printed '$loss_line'" >&2; exit 1 ;;
esac

#!/usr/bin/env bash
# Scaling figures for docs/mpi.md: the reference VAE (batch 128, seed 1) trained for EPOCHS epochs (default 2) as
# 1 process x 2 threads, 2 processes x 1 thread on one host (shared memory, then TCP over loopback) and on two
# network-namespace hosts over a veth pair (Scripts/mpi/two_hosts.sh); prints images/s of the last epoch and the
# allreduce time per step. Needs root for the namespaces.
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-2}
latent=$PWD/.build/release/latent
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=(--allow-run-as-root --oversubscribe)
speed() { grep "^epoch $epochs/" | sed 's/.*  \([0-9]*\) images\/s.*/\1/'; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
  "Open MPI $(mpirun --version | head -1 | awk '{print $NF}')"
echo "1 process x 2 threads: $("$latent" train --epochs "$epochs" --seed 1 --threads 2 --no-progress --out "$work/a" \
  | speed) images/s"
for transport in "shared memory:--mca btl self,vader" "TCP over loopback:--mca btl self,tcp --mca btl_tcp_if_include lo"
do
  name=${transport%%:*}; options=${transport#*:}
  # shellcheck disable=SC2086
  out=$(mpirun -np 2 "${root[@]}" $options "$latent" train --epochs "$epochs" --seed 1 --threads 1 --no-progress \
    --out "$work/b")
  echo "2 processes x 1 thread, $name: $(echo "$out" | speed) images/s; $(echo "$out" | grep allreduce)"
  rm -rf "$work/b"
done
out=$(bash Scripts/mpi/two_hosts.sh "$epochs")
echo "2 hosts (network namespaces, veth, TCP) x 1 thread: $(echo "$out" | speed) images/s; $(echo "$out" \
  | grep allreduce)"

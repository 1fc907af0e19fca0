#!/usr/bin/env bash
# mpirun's rsh agent for Scripts/mpi/two_hosts.sh: instead of ssh HOST COMMAND…, run COMMAND in the network
# namespace that holds HOST's address.
set -euo pipefail
while [[ ${1:-} == -* ]]; do shift; done  # ssh options mpirun may pass
host=$1; shift
case "$host" in
  10.77.0.1) ns=latent-a ;;
  10.77.0.2) ns=latent-b ;;
  *) echo "netns_rsh: unknown host $host" >&2; exit 1 ;;
esac
exec ip netns exec "$ns" sh -c "$*"

#!/usr/bin/env bash
# How far apart the first two CPUs are: the one-way time of a cache line handed back and forth between threads
# pinned to CPU 0 and CPU 1, in ns (prints the number). On the AMD EPYC VMs: ~26-40 ns most of the time (one L3),
# ~170 ns at times (as if the host ran the two vCPUs on different dies), and then 2-thread training slowed.
#   bash Scripts/experiments/core_latency.sh
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/bounce.c" <<'C'
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
static _Alignas(64) atomic_long ball;
static const long rounds = 200000;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void pin(int cpu) {
    cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}
static void play(long first) {
    for (long i = first; i < 2 * rounds; i += 2) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != i) {}
        atomic_store_explicit(&ball, i + 1, memory_order_release);
    }
}
static void *partner(void *unused) { pin(1); play(1); return unused; }
int main(void) {
    pin(0);
    pthread_t t; pthread_create(&t, 0, partner, 0);
    double t0 = now();
    play(0);
    pthread_join(t, 0);
    printf("%.0f\n", (now() - t0) / (2 * rounds) * 1e9);
    return 0;
}
C
cc -O2 -pthread "$dir/bounce.c" -o "$dir/bounce"
"$dir/bounce"

#!/usr/bin/env bash
# How long waking a sleeping thread takes on this machine (the reason Latent's WakeEvent polls before it sleeps):
# two threads hand a POSIX semaphore back and forth, after 0, 100 µs and 1 ms of work by the waker.
#   bash Scripts/experiments/wake_latency.sh
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/wake.c" <<'C'
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
static sem_t ping, pong;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void *partner(void *unused) { for (;;) { sem_wait(&ping); sem_post(&pong); } return unused; }
int main(void) {
    sem_init(&ping, 0, 0); sem_init(&pong, 0, 0);
    pthread_t t; pthread_create(&t, 0, partner, 0);
    double gaps[] = {0, 100e-6, 1e-3};
    for (int g = 0; g < 3; g++) {
        double total = 0;
        for (int i = 0; i < 2000; i++) {
            for (double t0 = now(); now() - t0 < gaps[g];) {}
            double t0 = now(); sem_post(&ping); sem_wait(&pong); total += now() - t0;
        }
        printf("semaphore round trip after %4.0f us of work: %5.1f us\n", gaps[g] * 1e6, total / 2000 * 1e6);
    }
    return 0;
}
C
cc -O2 -pthread "$dir/wake.c" -o "$dir/wake"
grep -m1 "model name" /proc/cpuinfo
"$dir/wake"

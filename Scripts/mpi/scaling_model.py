#!/usr/bin/env python3
"""Expected data-parallel scaling over N nodes from measured single-node figures and a ring-allreduce model.

Model (weak scaling: every node keeps its batch and its 2 cores; the gradient is summed by one ring allreduce
per step, not overlapped with the backward pass):
    t_step(N)      = t_compute + t_allreduce(N)
    t_allreduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency
    images/s(N)    = N * batch / t_step(N),   efficiency = t_compute / t_step(N)
t_compute comes from a measured images/s on one node (`latent bench`); bytes from the model's parameter count;
latency and the loopback/veth check from Scripts/mpi/measure.sh. Prints a Markdown table.
"""
import argparse


def allreduce_seconds(n, megabytes, gigabits, latency_us):
    if n == 1:
        return 0.0
    return 2 * (n - 1) / n * megabytes * 8e6 / (gigabits * 1e9) + 2 * (n - 1) * latency_us * 1e-6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True,
                        help="NAME:IMAGES_PER_S_ONE_NODE:BATCH:GRADIENT_MB (repeatable)")
    parser.add_argument("--latency-us", type=float, default=30.0, help="per-hop latency of the network")
    args = parser.parse_args()
    print("| model | network | nodes | allreduce ms/step | expected images/s | efficiency |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for spec in args.model:
        name, speed, batch, megabytes = spec.split(":")
        speed, batch, megabytes = float(speed), int(batch), float(megabytes)
        compute = batch / speed
        for gigabits in (10, 100):
            for n in (4, 16, 64):
                reduce = allreduce_seconds(n, megabytes, gigabits, args.latency_us)
                step = compute + reduce
                print(f"| {name} | {gigabits} Gb/s | {n} | {reduce * 1e3:.2f} | {n * batch / step:,.0f} | "
                      f"{compute / step:.0%} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Training over Open MPI gives the training of one process (Scripts/test.sh runs this; docs/mpi.md).

  same      `mpirun -np 2 latent train … --threads 1` against `latent train … --threads 2` (same seed, same global
            batch): the test loss after 2 epochs and the saved weights, for a VAE (planned step; also on OpenBLAS's
            Haswell kernels), an AE (graph), a CVAE, an IWAE, a DAE, the 28x28 conv VAE and the deep conv VAE with
            BatchNorm (pictures made here, planned and graph). Evaluation is split over the processes and gives the
            same numbers.
  resume    1 epoch under mpirun, then --resume to 2 under mpirun: the same test loss as 2 epochs at once.
  killed    a rank killed during training stops the job (mpirun names it); the last complete checkpoint loads.
Prints one JSON object of figures; exits 1 on the first failure.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np


def fail(message):
    print(f"check_mpi: {message}", file=sys.stderr)
    sys.exit(1)


def mpirun(np_):
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    return ["mpirun", "-np", str(np_), "--oversubscribe", *root, "--mca", "btl", "self,tcp",
            "--mca", "btl_tcp_if_include", "lo"]


def train(command, out, *options, core=None):
    where = ["--seed", "1", "--out", out] if out else []
    env = dict(os.environ, **({"OPENBLAS_CORETYPE": core} if core else {}))
    if core and command[0] == "mpirun":
        command = [command[0], "-x", "OPENBLAS_CORETYPE", *command[1:]]
    result = subprocess.run([*command, "train", *where, "--json", "--no-progress", *options],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        fail(f"{' '.join(command[:3])} train {' '.join(options)} failed:\n"
             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if len(lines) != 1:
        fail(f"expected one JSON line (process 0's), got {len(lines)}:\n{result.stdout[-2000:]}")
    return json.loads(lines[0])


def long_job(latent, run):
    """A 50-epoch training of 2 processes into `run`, returned once its first checkpoint is written."""
    job = subprocess.Popen(mpirun(2) + latent + ["train", "--seed", "1", "--out", run, "--threads", "1",
                                                 "--epochs", "50", "--no-progress"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not os.path.exists(f"{run}/model.safetensors") and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    return job


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    args = parser.parse_args()
    latent = [args.latent]
    figures = {}
    cases = {
        "vae planned": ["--epochs", "2"],
        "ae graph": ["--model", "ae", "--engine", "graph", "--epochs", "2"],
        "cvae": ["--model", "cvae", "--epochs", "2"],
        "iwae": ["--model", "iwae", "--k", "5", "--epochs", "2", "--limit", "10000"],
        "dae": ["--model", "dae", "--noise", "mask:0.3", "--epochs", "2", "--limit", "10000"],
        "conv vae": ["--arch", "conv", "--hidden", "256", "--epochs", "2", "--limit", "3000"],
    }
    with tempfile.TemporaryDirectory() as work:
        # 640 colour pictures of 16x16 (stripes of random colours) for the BatchNorm model.
        rng, (y, x) = np.random.default_rng(1), np.mgrid[0:16, 0:16]
        pictures = np.stack([(np.sin(x / (1 + i % 5) + i) * 0.5 + 0.5)[..., None] * rng.uniform(0, 1, 3) * 255
                             for i in range(640)]).astype(np.uint8)
        np.save(f"{work}/pictures.npy", pictures)
        deep = ["--data", f"{work}/pictures.npy", "--arch", "deepconv", "--latent", "8", "--batch-size", "64",
                "--epochs", "2"]
        cases["deep conv vae planned"] = deep
        cases["deep conv vae graph"] = deep + ["--engine", "graph"]
        # OpenBLAS's Haswell kernels (any x86-64 CPU with AVX2, Zen's too) sum a weight gradient's rows in blocks of
        # 12, in another order where a product starts off the block grid: the split must not show.
        cases["vae planned, OpenBLAS Haswell kernels"] = ["--epochs", "1", "--limit", "10000"]
        cores = {"vae planned, OpenBLAS Haswell kernels": "Haswell"}  # OPENBLAS_CORETYPE of a case, if any
        for name, options in cases.items():
            core = cores.get(name)
            one = train(latent, f"{work}/{name}-1", "--threads", "2", *options, core=core)["test_loss"]
            two = train(mpirun(2) + latent, f"{work}/{name}-2", "--threads", "1", *options, core=core)["test_loss"]
            relative = abs(one - two) / abs(one)
            if relative > 1e-4:
                fail(f"{name}: 2 processes {two} against 2 threads {one} (relative {relative:.2e})")
            same = open(f"{work}/{name}-1/model.safetensors", "rb").read() == \
                open(f"{work}/{name}-2/model.safetensors", "rb").read()
            if not same:
                fail(f"{name}: the same test loss but different weights from 2 processes and 2 threads")
            figures[name] = {"threads_2": one, "processes_2": two, "relative": relative, "same_weights": same}
        # Resume under MPI: 1 epoch, then on to 2.
        run = f"{work}/resumed"
        train(mpirun(2) + latent, run, "--threads", "1", "--epochs", "1")
        resumed = train(mpirun(2) + latent, None, "--resume", run, "--epochs", "2")["test_loss"]
        straight = figures["vae planned"]["processes_2"]
        if resumed != straight:
            fail(f"resumed under MPI: {resumed}, straight: {straight}")
        figures["resume"] = {"straight": straight, "resumed": resumed}
        # A killed rank stops the job; the last complete checkpoint stays loadable.
        run = f"{work}/killed"
        job = long_job(latent, run)
        time.sleep(0.5)
        victim = None
        for pid in os.listdir("/proc"):
            try:
                environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
                command = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            if b"OMPI_COMM_WORLD_RANK=1" in environ and b"latent" in command and b"train" in command:
                victim = int(pid)
        if victim is None:
            job.kill()
            fail("could not find rank 1 of the job to kill")
        os.kill(victim, signal.SIGKILL)
        try:
            _, stderr = job.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            job.kill()
            fail("the job went on for 60 s after rank 1 was killed")
        if job.returncode == 0 or "rank 1" not in stderr:
            fail(f"killing rank 1: mpirun exited {job.returncode}: {stderr[-1500:]}")
        check = subprocess.run(latent + ["eval", run, "--json"], capture_output=True, text=True)
        if check.returncode != 0:
            fail(f"the checkpoint left by the killed job does not load: {check.stderr[-1000:]}")
        figures["killed"] = {"mpirun_exit": job.returncode,
                             "message": next(line.strip() for line in stderr.splitlines() if "rank 1" in line),
                             "checkpoint_test_loss": json.loads(check.stdout)["test_loss"]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

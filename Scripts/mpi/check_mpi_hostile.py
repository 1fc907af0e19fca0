#!/usr/bin/env python3
"""Processes of one mpirun job given different flags or data stop, all of them, with one line (Scripts/test.sh).

  disagree  `mpirun -np 1 latent train … : -np 1 latent train … <flag>`: for each flag that once crashed, hung or
            trained on a mix of data (--hidden, --model, --batch-size, --limit, --epochs, another dataset, MNIST
            files with one picture changed, --seed, --threads, --lr, --epochs on a resume), the job ends within
            90 s, with no signal, exactly one "latent:" line naming the flag (or the data) and both values, and no
            files written.
  ctrl-c    SIGINT to mpirun during an epoch: every process stops after the same step, one line says where and
            gives the resume command, and that command continues the run.
Prints one JSON object of figures; exits 1 on the first failure.
"""
import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from check_mpi import fail, long_job, mpirun


def job(latent, out, common, extra, timeout=90):
    """Runs a two-process job whose second process gets `extra` flags; returns (returncode, stderr)."""
    first = latent + ["train", *common, "--out", out]
    command = mpirun(1) + first + [":", "-np", "1", *first, *extra]
    started = time.time()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(extra)}: the job was still running after {timeout} s")
    return result.returncode, result.stderr, round(time.time() - started, 1)


def changed_mnist(work):
    """A copy of the bundled MNIST files with one pixel of the first training picture changed."""
    source = os.path.join(os.path.dirname(__file__), "../../Sources/LatentData/Resources/mnist")
    target = f"{work}/mnist-changed"
    shutil.copytree(source, target)
    path = f"{target}/train-images-idx3-ubyte.gz"
    data = bytearray(gzip.decompress(open(path, "rb").read()))
    data[16 + 14 * 28 + 14] ^= 0xFF
    open(path, "wb").write(gzip.compress(bytes(data)))
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    latent = [parser.parse_args().latent]
    figures = {}
    common = ["--seed", "1", "--limit", "2000", "--epochs", "1", "--no-progress", "--threads", "1"]
    with tempfile.TemporaryDirectory() as work:
        changed = changed_mnist(work)
        cases = {  # the second process's flags → what the line must name
            "--hidden 200": (["--hidden", "200"], "--hidden: process 1 of 2 has [200], process 0 has [400]"),
            "--model ae": (["--model", "ae"], "--model: process 1 of 2 has ae, process 0 has vae"),
            "--batch-size 64": (["--batch-size", "64"], "--batch-size: process 1 of 2 has 64, process 0 has 128"),
            "--limit 8000": (["--limit", "8000"], "--limit: process 1 of 2 has 8000, process 0 has 2000"),
            "--epochs 3": (["--epochs", "3"], "--epochs: process 1 of 2 has 3, process 0 has 1"),
            "--seed 2": (["--seed", "2"], "--seed: process 1 of 2 has 2, process 0 has 1"),
            "--threads 2": (["--threads", "2"], "--threads: process 1 of 2 has 2, process 0 has 1"),
            "--lr 0.002": (["--lr", "0.002"], "--lr: process 1 of 2 has 0.002, process 0 has 0.001"),
            "--latent 8": (["--latent", "8"], "--latent: process 1 of 2 has 8, process 0 has 20"),
            "another dataset": (["--dataset", "fashion-mnist", "--data-dir", changed],
                                "process 1 of 2 has data source fashion-mnist, process 0 has mnist"),
            "one pixel of MNIST changed": (["--data-dir", changed], "process 1 of 2 has training data sha256"),
        }
        for name, (extra, expected) in cases.items():
            out = f"{work}/{name.replace(' ', '_')}"
            code, stderr, seconds = job(latent, out, common, extra)
            lines = [line for line in stderr.splitlines() if line.startswith("latent:")]
            if code <= 0 or code >= 128 or len(lines) != 1 or expected not in lines[0]:
                fail(f"{name}: exit {code}, expected one line with '{expected}', got:\n{stderr[-2000:]}")
            if os.path.exists(f"{out}/model.safetensors"):
                fail(f"{name}: the job wrote {out}/model.safetensors")
            figures[name] = {"exit": code, "seconds": seconds, "line": lines[0]}
        # On a resume, the epochs asked for must agree too.
        run = f"{work}/resumable"
        subprocess.run(mpirun(2) + latent + ["train", *common, "--out", run], check=True, capture_output=True)
        resume = latent + ["train", "--resume", run, "--no-progress", "--epochs"]
        try:
            result = subprocess.run(mpirun(1) + resume + ["2", ":", "-np", "1", *resume, "3"],
                                    capture_output=True, text=True, timeout=90)
        except subprocess.TimeoutExpired:
            fail("--resume with --epochs 3 on one process: still running after 90 s")
        lines = [line for line in result.stderr.splitlines() if line.startswith("latent:")]
        if not (0 < result.returncode < 128) or len(lines) != 1 or "--epochs: process 1 of 2 has 3" not in lines[0]:
            fail(f"--resume, --epochs 3 on one process: exit {result.returncode}:\n{result.stderr[-2000:]}")
        figures["--resume with --epochs 3"] = {"exit": result.returncode, "line": lines[0]}
        figures["ctrl-c"] = interrupt(latent, f"{work}/interrupted")
    print(json.dumps(figures))


def interrupt(latent, run):
    """SIGINT to mpirun in epoch 2: one line with the resume command, which then continues the run."""
    job = long_job(latent, run)
    started = time.time()
    job.send_signal(signal.SIGINT)
    try:
        _, stderr = job.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        job.kill()
        fail("Ctrl-C under mpirun: the job went on for 60 s")
    lines = [line for line in stderr.splitlines() if line.startswith("latent:")]
    resume = f"continue with: latent train --resume {run} --epochs 50"
    if len(lines) != 1 or resume not in lines[0]:
        fail(f"Ctrl-C under mpirun: exit {job.returncode}, expected one line with '{resume}':\n{stderr[-2000:]}")
    seconds = time.time() - started
    result = subprocess.run(mpirun(2) + latent + ["train", "--resume", run, "--epochs", "3", "--no-progress",
                                                  "--json"], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        fail(f"resuming the interrupted run failed:\n{result.stderr[-2000:]}")
    return {"exit": job.returncode, "seconds_to_stop": round(seconds, 2), "line": lines[0],
            "resumed_test_loss": json.loads(result.stdout.splitlines()[-1])["test_loss"]}


if __name__ == "__main__":
    main()

"""Disentanglement on the drawn dSprites: trains a kind on every seed and scores it (`latent eval
--disentanglement`), for docs/disentanglement.md.

    python3 Scripts/family/dsprites_mig.py --model betatcvae --flags="--tc-weight 6" [--seeds 1,2,3]
        [--epochs 8] [--batch-size 128] [--hidden 512,512] [--latent 10] [--threads 2] [--parallel 1]
        [--score-every 0] [--work DIR] [--json]

Standard library only; needs a release build of `latent` (or $LATENT). --parallel N trains N seeds at a time
(give each --threads 1 on a 2-core machine); --score-every E also scores a copy of the checkpoint after every E-th
epoch while training goes on, so a run's MIG can be followed against its epochs. Each run's wall time is its
training's (the scores take about a minute more, on the cores the runs share). Prints one Markdown row per score
and the mean final MIG.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LATENT = os.environ.get("LATENT", os.path.join(ROOT, ".build", "release", "latent"))
# What `latent eval` reads of a run directory; the checkpoint is copied before metrics.jsonl, as training writes them.
RUN_FILES = (".latent-run", "model.safetensors", "metrics.jsonl")
SCORES = ("mig", "mig_per_factor", "factor_vae_eval_accuracy", "sap", "dci_disentanglement")


def latent(*args):
    r = subprocess.run([LATENT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"dsprites_mig: latent {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def score(run_dir, threads):
    return json.loads(latent("eval", run_dir, "--disentanglement", "--json", "--threads", str(threads)))


def epochs_done(out):
    try:
        with open(os.path.join(out, "metrics.jsonl")) as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0


def snapshot(out, epoch):
    """Copies the files `latent eval` reads, as they stand after `epoch`, next to the run."""
    copy = f"{out}-epoch{epoch}"
    shutil.rmtree(copy, ignore_errors=True)
    os.makedirs(copy)
    for name in RUN_FILES:
        shutil.copy(os.path.join(out, name), copy)
    return copy


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--flags", default="", help="the kind's own flags, one string")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", default="512,512")
    p.add_argument("--latent", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--parallel", type=int, default=1, help="seeds trained at a time")
    p.add_argument("--score-every", type=int, default=0, help="also score every E-th epoch's checkpoint")
    p.add_argument("--work", default="/tmp/latent-dsprites")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.parallel < 1 or args.score_every < 0:
        sys.exit("dsprites_mig: --parallel must be at least 1 and --score-every at least 0")
    seeds = [int(s) for s in args.seeds.split(",")]
    os.makedirs(args.work, exist_ok=True)
    pending, running, rows = list(seeds), {}, []

    def record(seed, epoch, run_dir, seconds):
        row = {"model": args.model, "flags": args.flags, "seed": seed, "epoch": epoch, "seconds": seconds,
               **{k: v for k, v in score(run_dir, args.threads).items() if k in SCORES}}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    while pending or running:
        while pending and len(running) < args.parallel:
            seed = pending.pop(0)
            out = os.path.join(args.work, f"{args.model}-{seed}")
            command = [LATENT, "train", "--dataset", "dsprites", "--model", args.model, *shlex.split(args.flags),
                       "--hidden", args.hidden, "--latent", str(args.latent), "--batch-size", str(args.batch_size),
                       "--epochs", str(args.epochs), "--seed", str(seed), "--threads", str(args.threads),
                       "--out", out, "--no-progress"]
            log = open(f"{out}.log", "w")
            running[seed] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), out, time.time(), 0)
        time.sleep(5)
        for seed, (process, out, started, scored) in list(running.items()):
            done = epochs_done(out)
            if args.score_every and done > scored and done < args.epochs and done % args.score_every == 0:
                record(seed, done, snapshot(out, done), time.time() - started)
                running[seed] = (process, out, started, done)
            if process.poll() is None:
                continue
            del running[seed]
            if process.returncode != 0:
                sys.exit(f"dsprites_mig: training seed {seed} failed; see {out}.log")
            record(seed, args.epochs, out, time.time() - started)
    if args.json:
        print(json.dumps(rows))
        return
    print("| model | seed | epoch (wall time) | MIG (x, y, scale, shape, orientation) | FactorVAE | SAP | DCI D |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: |")
    for r in sorted(rows, key=lambda r: (r["seed"], r["epoch"])):
        f = r["mig_per_factor"]
        per = ", ".join(f"{f[k]:.3f}" for k in ("x", "y", "scale", "shape", "orientation"))
        print(f"| `{r['model']} {r['flags']}` | {r['seed']} | {r['epoch']} ({r['seconds'] / 60:.0f} min) | "
              f"{r['mig']:.3f} ({per}) | {r['factor_vae_eval_accuracy']:.3f} | {r['sap']:.3f} | "
              f"{r.get('dci_disentanglement', float('nan')):.3f} |")
    final = [r["mig"] for r in rows if r["epoch"] == args.epochs]
    print(f"\nmean final MIG {sum(final) / len(final):.3f} over {len(final)} seeds")


if __name__ == "__main__":
    main()

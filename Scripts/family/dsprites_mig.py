"""Disentanglement on the drawn dSprites: trains a kind on every seed and scores it (`latent eval
--disentanglement`), for docs/disentanglement.md.

    python3 Scripts/family/dsprites_mig.py --model betatcvae --flags="--tc-weight 6" [--seeds 1,2,3]
        [--epochs 8] [--batch-size 128] [--hidden 512,512] [--latent 10] [--threads 2] [--work DIR] [--json]

Standard library only; needs a release build of `latent` (or $LATENT). Each run's wall time is its training's
(the scores take about a minute more). Prints one Markdown row per seed and the mean MIG.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LATENT = os.environ.get("LATENT", os.path.join(ROOT, ".build", "release", "latent"))


def latent(*args):
    r = subprocess.run([LATENT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"dsprites_mig: latent {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


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
    p.add_argument("--work", default="/tmp/latent-dsprites")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        out = os.path.join(args.work, f"{args.model}-{seed}")
        started = time.time()
        latent("train", "--dataset", "dsprites", "--model", args.model, *shlex.split(args.flags), "--hidden",
               args.hidden, "--latent", str(args.latent), "--batch-size", str(args.batch_size), "--epochs",
               str(args.epochs), "--seed", str(seed), "--threads", str(args.threads), "--out", out, "--no-progress")
        seconds = time.time() - started
        scores = json.loads(latent("eval", out, "--disentanglement", "--json", "--threads", str(args.threads)))
        row = {"model": args.model, "flags": args.flags, "seed": seed, "epochs": args.epochs, "seconds": seconds,
               **{k: scores[k] for k in ("mig", "mig_per_factor", "factor_vae_eval_accuracy", "sap",
                                         "dci_disentanglement") if k in scores}}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows))
        return
    print("| model | seed | epochs (wall time) | MIG (x, y, scale, shape, orientation) | FactorVAE | SAP | DCI D |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: |")
    for r in rows:
        f = r["mig_per_factor"]
        per = ", ".join(f"{f[k]:.3f}" for k in ("x", "y", "scale", "shape", "orientation"))
        print(f"| `{r['model']} {r['flags']}` | {r['seed']} | {r['epochs']} ({r['seconds'] / 60:.0f} min) | "
              f"{r['mig']:.3f} ({per}) | {r['factor_vae_eval_accuracy']:.3f} | {r['sap']:.3f} | "
              f"{r.get('dci_disentanglement', float('nan')):.3f} |")
    print(f"\nmean MIG {sum(r['mig'] for r in rows) / len(rows):.3f} over {len(rows)} seeds")


if __name__ == "__main__":
    main()

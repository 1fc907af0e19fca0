"""The likelihood ladder (docs/likelihood.md): trains each row's model on dynamically binarised MNIST with
`latent train`, then estimates its test log-likelihood with `latent eval --iwae-k 5000` on all 10,000 binarised test
images, and prints the row (IS-NLL, ELBO, epochs, training time, CPU).

    python3 Scripts/likelihood/ladder.py ROW [ROW ...] [--out runs/ladder] [--threads 2] [--k-eval 5000]
        [--images N] [--json]
    python3 Scripts/likelihood/ladder.py --list

A row whose folder already holds a finished run is evaluated, not trained again. Standard library only; the
`latent` binary is $LATENT or .build/release/latent.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LATENT = os.environ.get("LATENT", os.path.join(ROOT, ".build", "release", "latent"))

# Burda et al.'s networks for one stochastic layer: 784-500-500-50 (tanh in the paper; ReLU here), Bernoulli.
BODY = ["--hidden", "500,500", "--latent", "50", "--binarize", "dynamic"]
ROWS = {
    "vae": (["--model", "vae", "--epochs", "300"], "Burda et al. VAE, 1 layer: 86.76"),
    "iwae5": (["--model", "iwae", "--k", "5", "--epochs", "100"], "Burda et al. IWAE k = 5, 1 layer: 85.54"),
    "iwae5-dreg": (["--model", "iwae", "--k", "5", "--dreg", "--epochs", "100"],
                   "Tucker et al.: DReG ≈ 0.3 nats below the IWAE"),
    "iwae50": (["--model", "iwae", "--k", "50", "--epochs", "100"], "Burda et al. IWAE k = 50, 1 layer: 84.78"),
    # Tomczak & Welling's one-layer VampPrior: 2 x 300 (theirs gated), a 40-d code, 500 pseudo-inputs, KL warm-up
    # over 100 epochs, Adam 5e-4, batch 100.
    "vamp": (["--model", "vamp", "--pseudo-inputs", "500", "--hidden", "300,300", "--latent", "40", "--kl-warmup",
              "100", "--lr", "5e-4", "--batch-size", "100", "--epochs", "100"], "Tomczak & Welling VampPrior: 85.57"),
    # Burda et al.'s two stochastic layers: 784-200-200-100 and 100-100-50, tanh, their learning-rate stages.
    "iwae2-5": (["--model", "iwae2", "--k", "5", "--hidden", "200,200", "--latent", "100", "--upper-hidden",
                 "100,100", "--upper-latent", "50", "--activation", "tanh", "--lr-schedule", "burda", "--epochs",
                 "100"], "Burda et al. IWAE k = 5, 2 layers: 83.89 (3,280 epochs)"),
    "iaf": (["--model", "iaf", "--made-blocks", "4", "--epochs", "100"],
            "Kingma et al. 2016 IAF: 79.88 with a ResNet VAE, not this MLP"),
}
# Rows whose own flags set the body; the others take Burda et al.'s one-layer 784-500-500-50.
OWN_BODY = {"vamp", "iwae2-5"}


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def latent(*args):
    r = subprocess.run([LATENT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"ladder: latent {' '.join(args[:2])} failed: {r.stderr.strip()}")
    return r.stdout


def row(name, args):
    flags, paper = ROWS[name]
    run = os.path.join(args.out, name)
    trained = os.path.exists(os.path.join(run, "model.safetensors"))
    if not trained:
        start = time.time()
        body = [] if name in OWN_BODY else BODY
        binarize = ["--binarize", "dynamic"] if name in OWN_BODY else []
        latent("train", *flags, *body, *binarize, "--threads", str(args.threads), "--seed", "1", "--out", run,
               "--no-progress")
        print(f"ladder: {name} trained in {time.time() - start:.0f} s", file=sys.stderr)
    info = json.loads(latent("info", run, "--json"))
    elbo = json.loads(latent("eval", run, "--json", "--threads", str(args.threads))).get("elbo")
    start = time.time()
    extra = ["--images", str(args.images)] if args.images else []
    m = json.loads(latent("eval", run, "--json", "--iwae-k", str(args.k_eval), "--threads", str(args.threads),
                          *extra))
    seconds = time.time() - start
    with open(os.path.join(run, "metrics.jsonl")) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    train_seconds = sum(e.get("seconds", 0) for e in epochs)
    return {"row": name, "flags": " ".join(flags), "iwae_nll": m["iwae_nll"], "elbo": elbo,
            "epochs": info.get("epochs"), "train_seconds": round(train_seconds), "eval_seconds": round(seconds),
            "images": m["images"], "k": m["iwae_k"], "cpu": cpu(), "paper": paper}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("rows", nargs="*")
    p.add_argument("--list", action="store_true")
    p.add_argument("--out", default="runs/ladder")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--k-eval", type=int, default=5000)
    p.add_argument("--images", type=int, default=0, help="only the first N test images (default: all 10,000)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.list or not a.rows:
        for name, (flags, paper) in ROWS.items():
            print(f"{name:12} {' '.join(flags)}   ({paper})")
        return
    unknown = [r for r in a.rows if r not in ROWS]
    if unknown:
        sys.exit(f"ladder: unknown row(s) {unknown}; expected some of {list(ROWS)}")
    for name in a.rows:
        r = row(name, a)
        if a.json:
            print(json.dumps(r))
        else:
            print(f"| {r['row']} (`{r['flags']}`) | {r['iwae_nll']:.2f} | {r['elbo']:.2f} | {r['epochs']} | "
                  f"{r['train_seconds']} s | {r['cpu']} | {r['paper']} |")


if __name__ == "__main__":
    main()

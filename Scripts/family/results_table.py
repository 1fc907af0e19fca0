"""The family's results table on MNIST, each kind beside Pythae's run of the same configuration.

For every kind: `latent train` (784-512-512-16 ReLU, batch 100, Adam 1e-3, --epochs, seed 1, the kind's default
weights); then the same networks (python/latent_torch.py's modules, PyTorch's initialisation, seed 1) trained by
Pythae's own TrainingPipeline with its model of the kind (for the kinds Pythae lacks — DIP-VAE, SWAE, categorical
VAE, JointVAE, MS-SSIM and log-cosh VAE — the paper's loss in a plain PyTorch loop, its temperature or capacities
annealed per epoch as Latent's), written back into a Latent checkpoint. Both are then measured by the same commands:
reconstruction MSE (`latent eval`), the project's MNIST classifier's confidence in samples and its Fréchet
distance from the test images for the kind's own prior (N(0, I) for Gaussian codes; a VQ-VAE's PixelCNN) and a
10-component GMM of the codes (`latent eval --judge`), the test
accuracy of a logistic regression (scikit-learn) on the codes of all 60,000 training images (`latent encode`), and
the training time (wall clock, 2 threads each, one after the other).

    python3 Scripts/family/results_table.py [--epochs 20] [--kinds vae,betatcvae] [--work DIR] [--json]

In the venv of Scripts/family/requirements.txt, with a release build of `latent`. Prints a Markdown table.
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pythae  # noqa: E402  (Pythae's models on Latent's networks, and the PyTorch references)
from check_pythae import LATENT, ROOT, idx, latent_torch  # noqa: E402

# Flags a kind needs with these networks (a categorical code's classes must divide the 16 code columns).
KIND_FLAGS = {"categoricalvae": ["--categories", "4"]}
KINDS = ["vae", "betatcvae", "wae", "infovae", "dipvae", "rae", "swae", "annealedvae", "factorvae", "aae",
         "categoricalvae", "jointvae", "raegp", "msssimvae", "logcoshvae", "svae", "poincarevae", "vaegan", "vqvae"]
# Kinds whose samples come from a prior fitted after training, not from a prior of their own.
FITTED_PRIOR = {"rae": [], "raegp": [], "vqvae": ["pixelcnn"]}
SIZE = ["--hidden", "512,512", "--latent", "16", "--batch-size", "100", "--lr", "1e-3"]


def latent(*args):
    r = subprocess.run([LATENT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"results_table: latent {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def latent_json(*args):
    return json.loads(latent(*args, "--json"))


def vae(run, model):
    from pythae.models import VAE, VAEConfig
    return VAE(VAEConfig(input_dim=(784,), latent_dim=run["config"]["latent"], reconstruction_loss="bce"),
               encoder=check_pythae.Encoder(model), decoder=check_pythae.Decoder(model))


MAKERS = dict({k: v[1] for k, v in check_pythae.KINDS.items()}, vae=vae)


def follow_schedule(wrapped, config, epoch):
    """Sets a reference's annealed settings to Latent's at `epoch` (1-based): the categorical VAE's
    temperature τ(t) = max(τ_min, τ₀·e^(−r·(t − 1))), JointVAE's capacities C·min(t / (T + 1), 1) (C_c at
    most log K, which the reference applies)."""
    reference = check_pythae.pythae_reference
    if isinstance(wrapped, reference.CategoricalVAE):
        c = config["categorical"]
        wrapped.temperature = max(c["minimumTemperature"], c["temperature"] * math.exp(-c["annealRate"] * (epoch - 1)))
    elif isinstance(wrapped, reference.JointVAE):
        full = config["joint"]  # check_pythae's `joint` reads it too: a JointVAE run always records it
        ramp = min(epoch / (full["warmupEpochs"] + 1), 1)
        wrapped.joint = dict(full, continuousCapacity=full["continuousCapacity"] * ramp,
                             discreteCapacity=full["discreteCapacity"] * ramp)


def pythae_run(kind, latent_dir, out_dir, epochs, train):
    """Trains `kind` on Latent's networks (fresh PyTorch initialisation) with Pythae's pipeline, or the PyTorch
    reference's loop, and writes the weights into a copy of Latent's run directory. Returns the seconds."""
    shutil.copytree(latent_dir, out_dir)
    for f in ["training-state.safetensors", "metrics.jsonl"]:
        if os.path.exists(os.path.join(out_dir, f)):
            os.remove(os.path.join(out_dir, f))
    torch.manual_seed(1)
    model = latent_torch.load(latent_dir)
    for m in model.modules():
        if hasattr(m, "reset_parameters") and m is not model:
            m.reset_parameters()
    with open(os.path.join(latent_dir, "model.safetensors"), "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    run = {"config": json.loads(header["__metadata__"]["config"])}
    wrapped = MAKERS[kind](run, model)
    started = time.time()
    if MAKERS[kind] in check_pythae.REFERENCES:  # the kinds Pythae lacks: the paper's loss in a plain loop
        optimizer = torch.optim.Adam(wrapped.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(1)
        for epoch in range(1, epochs + 1):
            follow_schedule(wrapped, run["config"], epoch)
            for batch in torch.randperm(len(train), generator=generator).split(100):
                from pythae.data.datasets import DatasetOutput
                loss = wrapped(DatasetOutput(data=train[batch])).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    else:
        from pythae.pipelines import TrainingPipeline
        from pythae.trainers import (AdversarialTrainerConfig, BaseTrainerConfig,
                                     CoupledOptimizerAdversarialTrainerConfig, CoupledOptimizerTrainerConfig)
        common = dict(output_dir=os.path.join(out_dir, "pythae"), num_epochs=epochs, learning_rate=1e-3,
                      per_device_train_batch_size=100, per_device_eval_batch_size=500, seed=1, no_cuda=True,
                      steps_saving=None)
        if kind == "rae":
            config = CoupledOptimizerTrainerConfig(**common, encoder_learning_rate=1e-3, decoder_learning_rate=1e-3)
        elif kind in ("factorvae", "aae"):  # the discriminator's optimiser as Latent's (its defaults)
            d = run["config"].get("discriminator") or \
                ({"learningRate": 1e-4, "beta1": 0.5, "beta2": 0.9} if kind == "factorvae" else
                 {"learningRate": 1e-4, "beta1": 0.9, "beta2": 0.999})
            config = AdversarialTrainerConfig(
                **common, autoencoder_learning_rate=1e-3, discriminator_learning_rate=d["learningRate"],
                discriminator_optimizer_params={"betas": (d["beta1"], d["beta2"])})
        elif kind == "vaegan":  # Pythae's trainer for it: an optimiser each, the discriminator's as Latent's
            d = run["config"].get("discriminator") or {"learningRate": 1e-4}
            config = CoupledOptimizerAdversarialTrainerConfig(
                **common, encoder_learning_rate=1e-3, decoder_learning_rate=1e-3,
                discriminator_learning_rate=d["learningRate"])
        else:
            config = BaseTrainerConfig(**common)
        with contextlib.redirect_stdout(sys.stderr):
            TrainingPipeline(model=wrapped, training_config=config)(train_data=train.numpy(), eval_data=None)
    seconds = time.time() - started
    if kind == "vqvae":  # Pythae's quantizer holds the codebook it trained
        for name in ("embeddings", "cluster_size", "ema_embed"):
            getattr(model.quantizer, name).copy_(getattr(wrapped.quantizer, name))
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    names = [k for k in header if k != "__metadata__"]
    missing = [k for k in names if k not in state]
    if missing:
        sys.exit(f"results_table: the PyTorch model lacks {missing[:3]}")
    save_file({k: state[k] for k in names}, os.path.join(out_dir, "model.safetensors"),
              metadata=header["__metadata__"])
    shutil.rmtree(os.path.join(out_dir, "pythae"), ignore_errors=True)
    return seconds


def measure(run_dir, judge, kind):
    """MSE, the judge's view of samples from the kind's own prior (N(0, I) for Gaussian codes; a VQ-VAE's
    PixelCNN fitted to its code indices) and from a GMM of the codes, and the linear probe."""
    evaluated = latent_json("eval", run_dir)
    row = {"mse": evaluated["test_mse"]}
    for key in ("codebook_perplexity", "dead_codes"):
        if key in evaluated:
            row[key] = evaluated[key]
    for prior in FITTED_PRIOR.get(kind, ["normal"]) + ["gmm"]:
        q = latent_json("eval", run_dir, "--judge", judge, "--prior", prior, "--samples", "10000")
        name = "gmm" if prior == "gmm" else "normal"
        row[f"{name}_confidence"], row[f"{name}_fd"] = q["confidence"], q["classifier_frechet_distance"]
    row["probe"] = linear_probe(run_dir)
    return row


def linear_probe(run_dir):
    """Test accuracy of a logistic regression (scikit-learn, default settings but max_iter 1000) fitted on the
    codes of the 60,000 training images: `latent encode`'s codes, the label in the last column."""
    from sklearn.linear_model import LogisticRegression
    split = {}
    for name in ("train", "test"):
        path = os.path.join(run_dir, f"codes-{name}.npy")
        latent("encode", run_dir, "--split", name, "--out", path)
        split[name] = np.load(path)
    probe = LogisticRegression(max_iter=1000).fit(split["train"][:, :-1], split["train"][:, -1].astype(int))
    return float(probe.score(split["test"][:, :-1], split["test"][:, -1].astype(int)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--limit", type=int, help="train on the first N images only (a quick trial)")
    parser.add_argument("--work", default="/tmp/latent-results")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.work, exist_ok=True)
    mnist = os.path.join(ROOT, "Sources/LatentData/Resources/mnist")
    train = torch.from_numpy(idx(f"{mnist}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    limit = ["--limit", str(args.limit)] if args.limit else []
    if args.limit:
        train = train[:args.limit]
    judge = os.path.join(args.work, "judge")
    if not os.path.exists(os.path.join(judge, "model.safetensors")):
        latent("train", "--model", "classifier", "--epochs", "10", "--seed", "1", "--out", judge, "--no-progress")
    rows = []
    for kind in args.kinds.split(","):
        ours, theirs = os.path.join(args.work, kind), os.path.join(args.work, kind + "-pythae")
        for d in (ours, theirs):
            shutil.rmtree(d, ignore_errors=True)
        started = time.time()
        latent("train", "--model", kind, *SIZE, *KIND_FLAGS.get(kind, []), "--epochs", str(args.epochs), *limit,
               "--seed", "1", "--threads", "2", "--out", ours, "--no-progress")
        latent_seconds = time.time() - started
        pythae_seconds = pythae_run(kind, ours, theirs, args.epochs, train)
        peer = "PyTorch" if MAKERS[kind] in check_pythae.REFERENCES else "Pythae"
        for who, d, seconds in (("Latent", ours, latent_seconds), (peer, theirs, pythae_seconds)):
            row = dict(kind=kind, who=who, seconds=seconds, **measure(d, judge, kind))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
        return
    print("| kind | run | MSE | prior confidence | prior FD | GMM confidence | GMM FD | linear probe | time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        def f(key, fmt="{:.3f}"):
            return fmt.format(r[key]) if key in r else "—"
        print(f"| {r['kind']} | {r['who']} | {r['mse']:.2f} | {f('normal_confidence')} | {f('normal_fd')} | "
              f"{f('gmm_confidence')} | {f('gmm_fd')} | {r['probe']:.4f} | {r['seconds']:.0f} s |")


if __name__ == "__main__":
    main()

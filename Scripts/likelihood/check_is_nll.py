"""Latent's importance-sampled test log-likelihood against PyTorch's on the same weights and images: binarises the
first N MNIST test images (numpy, a fixed seed), has `latent eval RUN --data that.npz --iwae-k K` estimate
−log p(x), and estimates it again in PyTorch on the model python/latent_torch.py loads:

    log p(x) ≈ log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)

with p(z) the model's prior: N(0, I), a VampPrior VAE's mixture of its pseudo-inputs' posteriors or a mixture-prior
VAE's learned mixture (for a planar-flow or IAF VAE, z_k and q are the flow's images of the Gaussian draws; for a
two-layer IWAE each sample is a pair (h1, h2) from q(h1|x) q(h2|h1), weighed by
p(x|h1) p(h1|h2) p(h2) / q(h1|x) q(h2|h1)). Prints
both and their difference; exits non-zero if it exceeds --tolerance nats (default 0.1, issue 38).

    python3 Scripts/likelihood/check_is_nll.py RUN [--k 5000] [--images 500] [--tolerance 0.1]
    (in the venv: torch, safetensors, numpy)
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import latent_torch  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "Scripts", "pytorch"))
from mnist import read_idx  # noqa: E402

LATENT = os.environ.get("LATENT", os.path.join(ROOT, ".build", "release", "latent"))


def log_normal(z, mean, logvar):
    return -0.5 * (logvar + (z - mean) ** 2 / logvar.exp() + math.log(2 * math.pi)).sum(-1)


def log_prior(model, z):
    """log p(z) (for a two-layer IWAE, log p(h1|h2) + log p(h2) − log q(h2|h1) with h2 ~ q(h2|h1))."""
    if model.kind == "iwae2":
        h = model.upper_encoder(z)
        mean, logvar = model.upper_mean(h), model.upper_logvar(h)
        h2 = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        g = model.prior_body(h2)
        return (log_normal(z, model.prior_mean(g), model.prior_logvar(g)) + log_normal(h2, torch.zeros_like(h2),
                torch.zeros_like(h2)) - log_normal(h2, mean, logvar))
    if model.kind == "mogvae":
        mean, logvar = model.prior_means, model.prior_logvars
    elif model.kind == "vamp":
        mean, logvar = model.encode(model.pseudo_inputs(torch.eye(model.pseudo_inputs[0].in_features)))
    else:
        return log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    c = mean.shape[0]
    per = log_normal(z[:, None, :], mean[None], logvar[None])
    return torch.logsumexp(per, 1) - math.log(c)


def torch_nll(model, x, k, chunk=1000):
    out = []
    with torch.no_grad():
        for row in x:
            mean, logvar = model.encode(row[None])
            logs = []
            for s in range(0, k, chunk):
                m = min(chunk, k - s)
                z = mean + torch.exp(0.5 * logvar) * torch.randn(m, mean.shape[1])
                log_q = log_normal(z, mean, logvar)
                z, log_det = model.flow(z)  # posterior flows (planar, IAF): log q(z_K) = log q(z_0) − Σ log|det|
                log_q = log_q - log_det
                log_px = -F.binary_cross_entropy_with_logits(model.decode_logits(z), row.expand(m, -1),
                                                             reduction="none").sum(1)
                logs.append(log_px + log_prior(model, z) - log_q)
            out.append(torch.logsumexp(torch.cat(logs).double(), 0) - math.log(k))
    return -torch.stack(out).mean().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run")
    p.add_argument("--k", type=int, default=5000)
    p.add_argument("--images", type=int, default=500)
    p.add_argument("--tolerance", type=float, default=0.1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    mnist = os.path.join(ROOT, "Sources/LatentData/Resources/mnist")
    x = read_idx(f"{mnist}/t10k-images-idx3-ubyte.gz")[:a.images]
    y = read_idx(f"{mnist}/t10k-labels-idx1-ubyte.gz")[:a.images]
    binary = (np.random.default_rng(20150101).random(x.shape) < x / 255.0).astype(np.uint8) * 255
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "binarised.npz")
        np.savez(data, x_train=binary[:1], y_train=y[:1], x_test=binary, y_test=y)
        start = time.time()
        r = subprocess.run([LATENT, "eval", a.run, "--data", data, "--iwae-k", str(a.k), "--json", "--threads",
                            str(a.threads)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"check_is_nll: latent eval failed: {r.stderr.strip()}")
        ours = json.loads(r.stdout)["iwae_nll"]
        latent_seconds = time.time() - start
    model = latent_torch.load(a.run)
    start = time.time()
    theirs = torch_nll(model, torch.from_numpy(binary.reshape(len(binary), -1).astype(np.float32) / 255), a.k)
    line = (f"IS-NLL, K = {a.k}, first {a.images} binarised test images: Latent {ours:.3f} ({latent_seconds:.0f} s), "
            f"PyTorch {theirs:.3f} ({time.time() - start:.0f} s), difference {ours - theirs:+.3f} nats "
            f"(allowed ±{a.tolerance})")
    print(line)
    if abs(ours - theirs) > a.tolerance:
        sys.exit(f"check_is_nll: {line}")


if __name__ == "__main__":
    main()

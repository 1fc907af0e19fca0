"""PyTorch's importance-sampled log-likelihood of a Latent VAE checkpoint (the cross-check for
`latent eval DIR --iwae-k K`): loads the safetensors weights into the same MLP, then estimates
log p(x) = log mean_k p(x|z_k) p(z_k) / q(z_k|x) with K samples per test image (intensities as
Bernoulli targets), with torch.logsumexp.

    python3 Scripts/pytorch/is_nll.py runs/vae/model.safetensors --k 5000 --images 500
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from safetensors import safe_open

from mnist import load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--k", type=int, default=5000)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with safe_open(a.checkpoint, "pt") as f:
        config = json.loads(f.metadata()["config"])
    assert config["kind"] == "vae" and config["arch"] == "mlp" and config["likelihood"] == "bernoulli", config
    act = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus,
           "leaky-relu": F.leaky_relu}[config["activation"]]
    w = load_file(a.checkpoint)
    n_hidden = len(config["hidden"])

    def encode(x):
        h = x
        for i in range(n_hidden):
            h = act(F.linear(h, w[f"encoder.{2 * i}.weight"], w[f"encoder.{2 * i}.bias"]))
        return F.linear(h, w["mean.weight"], w["mean.bias"]), F.linear(h, w["logvar.weight"], w["logvar.bias"])

    def decode(z):
        h = z
        for i in range(n_hidden):
            h = act(F.linear(h, w[f"decoder.{2 * i}.weight"], w[f"decoder.{2 * i}.bias"]))
        return F.linear(h, w[f"decoder.{2 * n_hidden}.weight"], w[f"decoder.{2 * n_hidden}.bias"])

    x_all, _ = load("test")
    x_all = torch.from_numpy(x_all[: a.images])
    start = time.time()
    log_px = []
    chunk = 1000
    with torch.no_grad():
        for x in x_all:
            mu, logvar = encode(x[None])
            logs = []
            for s in range(0, a.k, chunk):
                m = min(chunk, a.k - s)
                eps = torch.randn(m, mu.shape[1])
                z = mu + torch.exp(0.5 * logvar) * eps
                logits = decode(z)
                log_pxz = -F.binary_cross_entropy_with_logits(logits, x.expand(m, -1), reduction="none").sum(1)
                log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(1)
                log_qz = -0.5 * (eps ** 2 + math.log(2 * math.pi) + logvar).sum(1)
                logs.append(log_pxz + log_pz - log_qz)
            log_px.append(torch.logsumexp(torch.cat(logs).double(), 0) - math.log(a.k))
    nll = -torch.stack(log_px).mean().item()
    print(json.dumps({"framework": "pytorch", "iwae_nll": nll, "iwae_k": a.k, "images": a.images,
                      "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()

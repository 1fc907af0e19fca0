"""The pytorch/examples VAE (vae/main.py), parameterised like `latent train`, as the reference for Latent.

Trains on the same MNIST files Latent bundles and prints one line per epoch with train loss, test loss
(nats per image) and training images/s, then a JSON summary. Used for the loss-curve comparison and the
side-by-side speed benchmark (Scripts/bench_side_by_side.sh).

  python Scripts/pytorch/vae_reference.py --epochs 10 --seed 1 --threads 2                # reference
  python Scripts/pytorch/vae_reference.py --hidden 256 --latent 2 --activation tanh --batch-size 100   # Keras
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist import load
from timing import add_common_arguments, bench, parse

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=10)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--model", default="vae", choices=["vae", "ae"])
p.add_argument("--arch", default="mlp", choices=["mlp", "conv"])
p.add_argument("--hidden", default="400", help="comma-separated dense widths, as `latent train --hidden`")
p.add_argument("--latent", type=int, default=20)
p.add_argument("--activation", default="relu", choices=["relu", "tanh"])
add_common_arguments(p)
args = parse(p)
act = F.relu if args.activation == "relu" else torch.tanh


hidden = [int(h) for h in args.hidden.split(",")] if args.hidden else []
Act = nn.ReLU if args.activation == "relu" else nn.Tanh


def dense(widths):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), Act()]
    return layers


class VAE(nn.Module):
    """Latent's MLP/conv encoder and decoder (see Sources/LatentModels/Networks.swift); for the MLP with one
    hidden layer this is exactly pytorch/examples' VAE."""

    def __init__(self):
        super().__init__()
        if args.arch == "conv":
            conv = [nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 4, 2, 1), Act(),
                    nn.Conv2d(32, 64, 4, 2, 1), Act(), nn.Flatten()]
            self.encoder = nn.Sequential(*conv, *dense([7 * 7 * 64] + hidden))
            width = hidden[-1] if hidden else 7 * 7 * 64
            self.decoder = nn.Sequential(*dense([args.latent] + hidden[::-1] + [7 * 7 * 64]),
                                         nn.Unflatten(1, (64, 7, 7)), nn.ConvTranspose2d(64, 32, 4, 2, 1), Act(),
                                         nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Flatten())
        else:
            self.encoder = nn.Sequential(*dense([784] + hidden))
            width = hidden[-1]
            self.decoder = nn.Sequential(*dense([args.latent] + hidden[::-1]), nn.Linear(hidden[0], 784))
        self.mean = nn.Linear(width, args.latent)
        self.logvar = nn.Linear(width, args.latent) if args.model == "vae" else None

    def forward(self, x):
        h = self.encoder(x)
        mu = self.mean(h)
        if self.logvar is None:
            return torch.sigmoid(self.decoder(mu)), mu, None
        logvar = self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.decoder(z)), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    if logvar is None:
        return bce
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


train_x, _ = load("train")
test_x, _ = load("test")
train_x, test_x = torch.from_numpy(train_x), torch.from_numpy(test_x)
model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=args.lr)


def step(x):
    opt.zero_grad()
    recon, mu, logvar = model(x)
    loss = loss_function(recon, x, mu, logvar)
    loss.backward()
    opt.step()
    return loss.item()


if args.bench_steps:
    def batch_at(i):
        j = (i * args.batch_size) % (len(train_x) - args.batch_size)
        return train_x[j:j + args.batch_size]
    bench(step, batch_at, args.batch_size, args.bench_steps, args.threads)
    raise SystemExit

history = []
for epoch in range(1, args.epochs + 1):
    model.train()
    total, t0 = 0.0, time.perf_counter()
    for idx in torch.randperm(len(train_x)).split(args.batch_size):
        total += step(train_x[idx])
    seconds = time.perf_counter() - t0
    model.eval()
    test_total = 0.0
    with torch.no_grad():
        for x in test_x.split(args.batch_size):
            recon, mu, logvar = model(x)
            test_total += loss_function(recon, x, mu, logvar).item()
    row = {"epoch": epoch, "train_loss": total / len(train_x), "test_loss": test_total / len(test_x),
           "images_per_second": len(train_x) / seconds}
    history.append(row)
    print(f"epoch {epoch:2d}  train {row['train_loss']:.4f}  test {row['test_loss']:.4f}  "
          f"{row['images_per_second']:.0f} images/s", flush=True)
print(json.dumps({"version": torch.__version__, "args": vars(args), "history": history}))

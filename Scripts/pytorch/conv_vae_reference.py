"""PyTorch-VAE's VanillaVAE as `latent train --arch deepconv` builds it, trained on a folder of pictures: the
reference for Latent's test loss and images/s on the user's own images (the emoji set of Scripts/emoji).

Reads the folder as Latent does (sorted relative paths, class subfolders, every tenth picture is the test
split; pictures must already have the training size, as make_emoji.py writes them), builds the encoder
(kernel-3 stride-2 convolutions, BatchNorm, LeakyReLU), the heads, and the mirrored decoder (a linear map,
transposed convolutions with output padding, BatchNorm, LeakyReLU, a final kernel-3 convolution to logits), and
trains with Adam on the summed Bernoulli negative ELBO. Prints one line per epoch and a JSON summary.

  python Scripts/pytorch/conv_vae_reference.py DIR --epochs 10 --seed 1 --threads 2
  python Scripts/pytorch/conv_vae_reference.py DIR --bench-steps 20        # images/s only
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from timing import add_common_arguments, bench, parse

p = argparse.ArgumentParser()
p.add_argument("folder")
p.add_argument("--epochs", type=int, default=10)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--channels", default="32,64,128,256,512")
p.add_argument("--latent", type=int, default=128)
add_common_arguments(p)
args = parse(p)


def load(folder):
    files = []
    for root, _, names in os.walk(folder):
        for n in names:
            if n.lower().endswith((".png", ".jpg", ".jpeg")) and not n.startswith("."):
                files.append(os.path.relpath(os.path.join(root, n), folder))
    files.sort(key=lambda f: f.encode())
    if any("/" in f for f in files):
        files = [f for f in files if "/" in f]
    images = np.stack([np.asarray(Image.open(os.path.join(folder, f)).convert("RGB")) for f in files])
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255  # NCHW
    test = torch.tensor([i % 10 == 9 for i in range(len(files))])
    return x[~test], x[test]


train, test = load(args.folder)
channels = [int(c) for c in args.channels.split(",")]
side = train.shape[2]
small = side >> len(channels)


def block(conv, c):
    return [conv, nn.BatchNorm2d(c), nn.LeakyReLU()]


class VanillaVAE(nn.Module):
    def __init__(self):
        super().__init__()
        enc, prev = [], 3
        for c in channels:
            enc += block(nn.Conv2d(prev, c, 3, 2, 1), c)
            prev = c
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        features = channels[-1] * small * small
        self.mean, self.logvar = nn.Linear(features, args.latent), nn.Linear(features, args.latent)
        self.decoder_input = nn.Linear(args.latent, features)
        mirrored = channels[::-1] + [channels[0]]
        dec = []
        for a, b in zip(mirrored[:-1], mirrored[1:]):
            dec += block(nn.ConvTranspose2d(a, b, 3, 2, 1, output_padding=1), b)
        self.decoder = nn.Sequential(*dec, nn.Conv2d(channels[0], 3, 3, 1, 1))

    def loss(self, x):
        h = self.encoder(x)
        mu, logvar = self.mean(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        d = self.decoder_input(z).view(-1, channels[-1], small, small)
        logits = self.decoder(d)
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce + kl


model = VanillaVAE()
opt = torch.optim.Adam(model.parameters(), lr=args.lr)


def step(x):
    opt.zero_grad()
    loss = model.loss(x)
    loss.backward()
    opt.step()
    return loss.item()


if args.bench_steps:
    bench(step, lambda i: train[: args.batch_size], args.batch_size, args.bench_steps, args.threads)
    raise SystemExit

history = []
for epoch in range(1, args.epochs + 1):
    model.train()
    order = torch.randperm(len(train))
    total, start = 0.0, time.perf_counter()
    for i in range(0, len(train), args.batch_size):
        total += step(train[order[i:i + args.batch_size]])
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        test_loss = sum(model.loss(test[i:i + 500]).item() for i in range(0, len(test), 500)) / len(test)
    row = {"epoch": epoch, "train_loss": total / len(train), "test_loss": test_loss,
           "images_per_second": len(train) / seconds, "seconds": seconds}
    history.append(row)
    print(f"epoch {epoch}/{args.epochs}  train {row['train_loss']:.4f}  test {test_loss:.4f}  "
          f"{row['images_per_second']:.0f} images/s  {seconds:.1f} s", flush=True)
print(json.dumps({"test_loss": history[-1]["test_loss"], "history": history}))

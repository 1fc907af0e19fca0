"""Latent checkpoints as PyTorch modules, in one line:

    import latent_torch
    model = latent_torch.load("runs/vae")          # a run directory or its model.safetensors
    mean, log_variance = model.encode(x)           # x: [N, features] rows, as Latent reads them
    x_hat = model.reconstruct(x)                   # the output distribution's mean, in [0, 1]

Builds the `torch.nn.Module` a checkpoint's configuration describes (every kind: ae, sae, dae, vae, cvae, iwae,
classifier, and any other whose weights are these networks', such as the logcoshvae; the
discriminator of a factorvae or aae too; every body: mlp, conv,
deepconv) with the same `state_dict` names Latent saves, and loads the
weights and BatchNorm statistics. Rows are Latent's: an image's pixels row by row with channels last (H·W·C) in
[0, 1]; a table's features after `model.scaling` (fitted when training with `--scale`; `model.scale(x)` applies
it). Convolutions run in PyTorch's NCHW layout between permutes, so the modules are ordinary PyTorch modules:
fine-tune them, trace them, script them. Needs torch and safetensors; tested against Latent's own outputs by
Scripts/interop/check_interop.py.
"""
import json
import math
import os

import torch
from safetensors.torch import load_file
from safetensors import safe_open
from torch import nn

__all__ = ["load", "LatentModel"]


class _ToNCHW(nn.Module):
    """Latent's rows [N, H·W·C] → [N, C, H, W]."""

    def __init__(self, height, width, channels):
        super().__init__()
        self.shape = (height, width, channels)

    def forward(self, x):
        return x.reshape(-1, *self.shape).permute(0, 3, 1, 2)


class _ToRows(nn.Module):
    """[N, C, H, W] → Latent's rows [N, H·W·C] (channels last)."""

    def __init__(self, features):
        super().__init__()
        self.features = features

    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(-1, self.features)


def _activation(name):
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "leaky-relu": nn.LeakyReLU(0.01),
            "softplus": nn.Softplus()}[name]


def _mlp(width, hidden, output, activation):
    layers = []
    for h in hidden:
        layers += [nn.Linear(width, h), _activation(activation)]
        width = h
    return layers + [nn.Linear(width, output)]


def _conv_size(c):
    n = len(c["convChannels"])
    return c["imageHeight"] >> n, c["imageWidth"] >> n


class _Body(nn.Module):
    """The encoder body: `conv` (convolutions, empty for mlp), then the dense layers registered as 0, 1, …"""

    def __init__(self, c, condition=0, last_activation=None):
        super().__init__()
        h, w, ch, act = c["imageHeight"], c["imageWidth"], c.get("imageChannels") or 1, c["activation"]
        width = c["inputSize"]
        conv = []
        if c["arch"] == "deepconv":
            conv, previous = [_ToNCHW(h, w, ch)], ch
            for out in c["convChannels"]:
                conv += [nn.Conv2d(previous, out, 3, 2, 1), nn.BatchNorm2d(out), _activation(act)]
                previous = out
            hn, wn = _conv_size(c)
            width = hn * wn * c["convChannels"][-1]
            conv.append(_ToRows(width))
        elif c["arch"] == "conv":
            c0, c1 = c["convChannels"]
            width = h // 4 * (w // 4) * c1
            conv = [_ToNCHW(h, w, ch), nn.Conv2d(ch, c0, 4, 2, 1), _activation(act), nn.Conv2d(c0, c1, 4, 2, 1),
                    _activation(act), _ToRows(width)]
        self.conv = nn.Sequential(*conv)
        width += condition
        for i, units in enumerate(c["hidden"]):
            last = i == len(c["hidden"]) - 1
            self.add_module(str(2 * i), nn.Linear(width, units))
            self.add_module(str(2 * i + 1), _activation(last_activation if last and last_activation else act))
            width = units
        self.output_size = width

    def forward(self, x, condition=None):
        h = self.conv(x)
        if condition is not None:
            h = torch.cat([h, condition], dim=1)
        for name, layer in self.named_children():
            if name != "conv":
                h = layer(h)
        return h


class _Decoder(nn.Module):
    """The decoder: dense layers registered as 0, 1, …, then `conv` (transposed convolutions, empty for mlp)."""

    def __init__(self, c, input_size):
        super().__init__()
        h, w, ch, act = c["imageHeight"], c["imageWidth"], c.get("imageChannels") or 1, c["activation"]
        hidden = list(reversed(c["hidden"]))
        conv = []
        if c["arch"] == "deepconv":
            channels = c["convChannels"]
            hn, wn = _conv_size(c)
            dense = _mlp(input_size, hidden, hn * wn * channels[-1], act)
            conv = [_ToNCHW(hn, wn, channels[-1])]
            mirrored = list(reversed(channels)) + [channels[0]]
            for a, b in zip(mirrored[:-1], mirrored[1:]):
                conv += [nn.ConvTranspose2d(a, b, 3, 2, 1, output_padding=1), nn.BatchNorm2d(b), _activation(act)]
            conv += [nn.Conv2d(channels[0], ch, 3, 1, 1), _ToRows(c["inputSize"])]
        elif c["arch"] == "conv":
            c0, c1 = c["convChannels"]
            dense = _mlp(input_size, hidden, h // 4 * (w // 4) * c1, act) + [_activation(act)]
            conv = [_ToNCHW(h // 4, w // 4, c1), nn.ConvTranspose2d(c1, c0, 4, 2, 1), _activation(act),
                    nn.ConvTranspose2d(c0, ch, 4, 2, 1), _ToRows(c["inputSize"])]
        else:
            dense = _mlp(input_size, hidden, c["inputSize"], act)
        for i, layer in enumerate(dense):
            self.add_module(str(i), layer)
        self.conv = nn.Sequential(*conv)

    def forward(self, z):
        for name, layer in self.named_children():
            if name != "conv":
                z = layer(z)
        return self.conv(z)


# kind → its discriminator's default size, activation and logits (Latent's defaults: Pythae's networks).
DISCRIMINATORS = {"factorvae": (1000, 5, lambda: nn.LeakyReLU(0.2), 2), "aae": (256, 1, nn.ReLU, 1),
                  "vaegan": (256, 1, nn.ReLU, 1)}


def _discriminator(c):
    """The discriminator of a kind that trains one (FactorVAE, AAE: of codes; VAE-GAN: of pictures) → logits through
    `layers` × `width`."""
    width, depth, activation, output = DISCRIMINATORS[c["kind"]]
    d = c.get("discriminator") or {"width": width, "layers": depth}
    layers, size = [], c["inputSize"] if c["kind"] == "vaegan" else c["latent"]
    for _ in range(d["layers"]):
        layers += [nn.Linear(size, d["width"]), activation()]
        size = d["width"]
    return nn.Sequential(*layers, nn.Linear(size, output))


class _Quantizer(nn.Module):
    """A VQ-VAE's codebook (Pythae's QuantizerEMA buffers): each D-value position of a code → its nearest entry."""

    def __init__(self, q):
        super().__init__()
        size, dim = q.get("size", 512), q.get("dimension", 1)
        self.register_buffer("embeddings", torch.zeros(size, dim))
        self.register_buffer("cluster_size", torch.zeros(size))
        self.register_buffer("ema_embed", torch.zeros(size, dim))

    def indices(self, z):
        rows = z.reshape(-1, self.embeddings.shape[1])
        return ((self.embeddings ** 2).sum(-1) - 2 * rows @ self.embeddings.T).argmin(-1)

    def forward(self, z):
        return self.embeddings[self.indices(z)].reshape(z.shape)


class _PlanarFlow(nn.Module):
    """A planar flow of a `linnf` model: f(z) = z + u·tanh(w·z + b), returned with
    log|det| = log(|1 + (1 − tanh²)·w·u| + 1e-4)."""

    def __init__(self, latent):
        super().__init__()
        self.w, self.u, self.b = nn.Parameter(torch.zeros(1, latent)), nn.Parameter(torch.zeros(1, latent)), \
            nn.Parameter(torch.zeros(1))

    def forward(self, z):
        t = torch.tanh(z @ self.w.T + self.b)
        return z + self.u * t, torch.log(torch.abs(1 + (1 - t ** 2) * (self.w @ self.u.T)) + 1e-4).squeeze(-1)


class _MADE(nn.Module):
    """A MADE of an `iaf` model (Pythae's sequential degrees): masked linear layers 0, 2, …, ReLU between them,
    the last giving (m, s)."""

    def __init__(self, d, layers, width):
        super().__init__()
        degrees_in, hidden = torch.arange(d), torch.arange(width) % (d - 1)
        masks, previous, fan_in = [], degrees_in, d
        for i in range(layers):
            masks.append((hidden[:, None] >= previous[None, :]).float())
            self.add_module(str(2 * i), nn.Linear(fan_in, width))
            previous, fan_in = hidden, width
        masks.append((previous[None, :] < degrees_in[:, None]).float().repeat(2, 1))
        self.add_module(str(2 * layers), nn.Linear(width, 2 * d))
        self.d, self.masks = d, masks

    def forward(self, z):
        layers = [m for name, m in self.named_children()]
        for i, (layer, mask) in enumerate(zip(layers, self.masks)):
            z = nn.functional.linear(z, layer.weight * mask, layer.bias)
            if i < len(layers) - 1:
                z = torch.relu(z)
        return z[:, :self.d], z[:, self.d:]


class LatentModel(nn.Module):
    """A Latent model in PyTorch. `config` is the checkpoint's configuration (a dict), `kind` its kind,
    `scaling` a table's feature scaling (a dict with kind, shift, scale) or None; `names` the checkpoint's tensor
    names, which say whether the encoder is a posterior (mean and logvar heads) whatever the kind."""

    def __init__(self, config, scaling=None, names=None):
        super().__init__()
        c = self.config = config
        self.kind = c["kind"]
        self.scaling = scaling
        self.variational = "mean.weight" in names if names is not None else self.kind in ("vae", "cvae", "iwae")
        self.classes = c["classes"]
        condition = self.classes if self.kind == "cvae" else 0
        sparse_kl = (c.get("sparsity") or {}).get("kind") == "kl"
        self.encoder = _Body(c, condition, "sigmoid" if sparse_kl else None)
        width = self.encoder.output_size
        if self.kind == "classifier":
            self.output = nn.Linear(width, self.classes)
            return
        self.categories = (c.get("categorical") or {"categories": 10})["categories"] \
            if self.kind == "categoricalvae" else None
        if self.kind == "jointvae":  # Gaussian heads for latent − K columns, the class logits for K
            self.classes_k = (c.get("joint") or {"categories": 10})["categories"]
            self.variational = False
            self.mean = nn.Linear(width, c["latent"] - self.classes_k)
            self.logvar = nn.Linear(width, c["latent"] - self.classes_k)
            self.category = nn.Linear(width, self.classes_k)
        elif self.kind == "svae":  # a von Mises-Fisher posterior: direction e/|e|, concentration softplus(h) + 1
            self.direction, self.concentration = nn.Linear(width, c["latent"]), nn.Linear(width, 1)
        elif self.variational:
            self.mean, self.logvar = nn.Linear(width, c["latent"]), nn.Linear(width, c["latent"])
        else:
            self.code = nn.Linear(width, c["latent"])
        self.decoder = _Decoder(c, c["latent"] + condition)
        if c["likelihood"] == "gaussian" and c.get("outputVariance") is None:
            self.output_logvar = nn.Parameter(torch.zeros(1))
        self.identity_mean = c["likelihood"] == "gaussian" and c.get("outputMean") == "identity"
        if self.kind in DISCRIMINATORS:
            self.discriminator = _discriminator(c)
        if self.kind == "vqvae":
            self.quantizer = _Quantizer(c.get("quantization") or {})
        if self.kind == "iwae2":  # the upper stochastic layer: q(h2|h1) and p(h1|h2), each an MLP and two heads
            hidden, top = c.get("upperHidden", [100, 100]), c.get("upperLatent", 50)
            up = {**c, "arch": "mlp", "inputSize": c["latent"], "hidden": hidden}
            down = {**c, "arch": "mlp", "inputSize": top, "hidden": list(reversed(hidden))}
            self.upper_encoder, self.prior_body = _Body(up), _Body(down)
            self.upper_mean, self.upper_logvar = nn.Linear(hidden[-1], top), nn.Linear(hidden[-1], top)
            self.prior_mean, self.prior_logvar = nn.Linear(hidden[0], c["latent"]), nn.Linear(hidden[0], c["latent"])
        if self.kind == "iaf":  # IAF steps on the posterior's draws (`flow`)
            self.iaf = nn.ModuleList([_MADE(c["latent"], c.get("madeLayers", 3), c.get("madeWidth", 128))
                                      for _ in range(c.get("madeBlocks", 2))])
        if self.kind == "linnf":  # planar flows on the posterior's draws (`flow`)
            self.flows = nn.ModuleList([_PlanarFlow(c["latent"]) for _ in range(c.get("flows", 2))])
        if self.kind == "mogvae":  # the learned mixture prior's component means and log-variances
            self.prior_means = nn.Parameter(torch.zeros(c.get("mixtureComponents", 10), c["latent"]))
            self.prior_logvars = nn.Parameter(torch.zeros(c.get("mixtureComponents", 10), c["latent"]))
        if self.kind == "vamp":  # the VampPrior's pseudo-inputs: hardtanh01(Linear(C -> D) of the identity)
            self.pseudo_inputs = nn.Sequential(nn.Linear(c.get("pseudoInputs", 500), c["inputSize"]),
                                               nn.Hardtanh(0.0, 1.0))

    def _condition(self, labels):
        if self.kind != "cvae":
            return None
        if labels is None:
            raise ValueError("a cvae needs labels: a LongTensor of class indices, one per row")
        return nn.functional.one_hot(torch.as_tensor(labels, dtype=torch.long), self.classes).float()

    def scale(self, x):
        """A table's raw features → the scaled features the model reads (identity without scaling)."""
        if not self.scaling or self.scaling["kind"] == "none":
            return x
        shift, scale = torch.tensor(self.scaling["shift"]), torch.tensor(self.scaling["scale"])
        return (x - shift) / scale

    def unscale(self, x):
        """Scaled features (what `decode` gives) → the table's own units, as `latent decode` writes them."""
        if not self.scaling or self.scaling["kind"] == "none":
            return x
        shift, scale = torch.tensor(self.scaling["shift"]), torch.tensor(self.scaling["scale"])
        return x * scale + shift

    def encode(self, x, labels=None):
        """(mean, log_variance) for a VAE, CVAE or IWAE; the code for an AE, SAE or DAE; each categorical
        variable's class probabilities for a categorical VAE; the Gaussian means and the class probabilities for
        a JointVAE; the unit direction of the posterior for a hyperspherical VAE (svae); the centre in the ball and
        log σ² for a Poincaré VAE."""
        h = self.encoder(x, self._condition(labels))
        if self.kind == "svae":
            return nn.functional.normalize(self.direction(h), dim=-1)
        if self.kind == "poincarevae":  # the wrapped normal's centre exp0(mean) in the ball, and log sigma^2
            mean, sc = self.mean(h), math.sqrt(self.config.get("curvature", 1))
            norm = mean.norm(dim=-1, keepdim=True).clamp_min(1e-15)
            return torch.tanh(sc * norm) * mean / (sc * norm), self.logvar(h)
        if self.kind == "jointvae":
            return torch.cat([self.mean(h), torch.softmax(self.category(h), -1)], 1)
        if self.categories:
            return torch.softmax(self.code(h).reshape(len(h), -1, self.categories), -1).reshape(len(h), -1)
        if self.kind == "vqvae":  # the code's positions replaced by their nearest codebook entries
            return self.quantizer(self.code(h))
        return (self.mean(h), self.logvar(h)) if self.variational else self.code(h)

    def flow(self, z):
        """A posterior draw z0 carried through the model's flow (planar maps, or IAF steps last first, each reversing
        the order first), with sum log|det| per row; (z, 0) for a model without one."""
        total = torch.zeros(z.shape[0])
        for f in getattr(self, "flows", []):
            z, log_det = f(z)
            total = total + log_det
        for block in reversed(getattr(self, "iaf", [])):
            z = z.flip(1)
            m, s = block(z)
            z = z * s.exp() + m
            total = total + s.sum(-1)
        return z, total

    def decode_logits(self, z, labels=None):
        """The decoder's logits for codes z (a VQ-VAE's quantized first)."""
        if self.kind == "vqvae":
            z = self.quantizer(z)
        condition = self._condition(labels)
        return self.decoder(z if condition is None else torch.cat([z, condition], dim=1))

    def decode(self, z, labels=None):
        """The output distribution's mean for codes z: sigmoid of the logits (the logits themselves for a
        Gaussian with outputMean identity)."""
        logits = self.decode_logits(z, labels)
        return logits if self.identity_mean else torch.sigmoid(logits)

    def reconstruct(self, x, labels=None):
        """decode(encode(x)), the posterior mean standing for z (as `latent eval` and `latent reconstruct`)."""
        code = self.encode(x, labels)
        return self.decode(code[0] if self.variational else code, labels)

    def logits(self, x):
        """A classifier's class logits."""
        return self.output(self.encoder(x))

    def forward(self, x, labels=None):
        return self.logits(x) if self.kind == "classifier" else self.reconstruct(x, labels)


def load(path, map_location="cpu"):
    """The model in a Latent run directory or .safetensors checkpoint, weights loaded, in eval mode."""
    file = os.path.join(path, "model.safetensors") if os.path.isdir(path) else path
    with safe_open(file, "pt") as f:
        metadata = f.metadata() or {}
        names = set(f.keys())
    if metadata.get("format") != "latent" or "config" not in metadata:
        raise ValueError(f"{file}: not a Latent checkpoint (no Latent configuration in its metadata)")
    scaling = json.loads(metadata["scaling"]) if "scaling" in metadata else None
    model = LatentModel(json.loads(metadata["config"]), scaling, names)
    state = load_file(file, device=str(map_location))
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ValueError(f"{file}: tensors do not match the configuration (missing {missing}, unexpected {unexpected})")
    model.load_state_dict(state, strict=False)
    return model.eval()

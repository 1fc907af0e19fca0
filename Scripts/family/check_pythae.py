"""Latent's family against Pythae itself: for every kind Pythae also has, a model trained by `latent train` is
loaded into Pythae's model (python/latent_torch.py's networks wrapped as Pythae's encoder and decoder; for
PyTorch-VAE's kinds, a short PyTorch reimplementation of the paper's loss), and
Pythae's loss on the 10,000 MNIST test images (batches of 500, as `latent eval`, with the test set's size as
Pythae's trainer passes it) is compared with `latent eval`'s on the same weights. Both are Monte-Carlo
estimates: each is repeated with several seeds, and the difference must lie within 4 standard errors of the
difference, for the loss and for its regularisation term alone (far less noisy) (plus 1e-4 relative and 1e-6 for float
rounding).

    python3 Scripts/family/check_pythae.py [--full] [--arch conv] [--kinds wae,rae] [--json]
    (in the venv: Scripts/family/requirements.txt)

Small models by default (the test command); --full trains 784-512-512-16 for 5 epochs. Prints one line per kind
and exits non-zero on the first mismatch.
"""
import argparse
import contextlib
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from pythae.data.datasets import DatasetOutput
from pythae.models import (CIWAE, INFOVAE_MMD, IWAE, MIWAE, RAE_L2, SVAE, VAMP, WAE_MMD, CIWAEConfig, IWAEConfig,
                           MIWAEConfig, PoincareVAE, PoincareVAEConfig, VAE_IAF, VAE_IAF_Config, VAE_LinNF,
                           VAE_LinNF_Config, VAMPConfig,
                           Adversarial_AE,
                           Adversarial_AE_Config, BetaTCVAE,
                           BetaTCVAEConfig, DisentangledBetaVAE, RAE_GP, RAE_GP_Config,
                           DisentangledBetaVAEConfig, FactorVAE, FactorVAEConfig, INFOVAE_MMD_Config, RAE_L2_Config,
                           SVAEConfig, VAEGAN, VAEGANConfig, VQVAE, VQVAEConfig, WAE_MMD_Config)
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseEncoder

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import latent_torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pythae_reference  # noqa: E402  (the papers' losses of the kinds Pythae lacks)

LATENT = os.environ.get("LATENT", os.path.join(ROOT, ".build", "release", "latent"))
BATCH = 500  # `latent eval`'s batch of MNIST digits


class Encoder(BaseEncoder):
    """Latent's encoder and heads as Pythae's encoder: the posterior's mean and log-variance (a deterministic
    encoder's code alone)."""

    def __init__(self, model):
        BaseEncoder.__init__(self)
        self.model = model

    def forward(self, x):
        code = self.model.encode(x.reshape(x.shape[0], -1))
        if not self.model.variational:
            return ModelOutput(embedding=code)
        return ModelOutput(embedding=code[0], log_covariance=code[1])


class SphericalEncoder(BaseEncoder):
    """A hyperspherical VAE's encoder as Pythae's SVAE reads it: the unnormalised direction and h, with
    κ = softplus(h) + 1."""

    def __init__(self, model):
        BaseEncoder.__init__(self)
        self.model = model

    def forward(self, x):
        h = self.model.encoder(x.reshape(x.shape[0], -1), None)
        return ModelOutput(embedding=self.model.direction(h), log_concentration=self.model.concentration(h))


class Decoder(BaseDecoder):
    """Latent's decoder as Pythae's: the Bernoulli mean, sigmoid of the logits."""

    def __init__(self, model):
        BaseDecoder.__init__(self)
        self.model = model

    def forward(self, z):
        return ModelOutput(reconstruction=self.model.decode(z))


def beta_tc(run, model):
    t = run["config"]["totalCorrelation"]
    config = BetaTCVAEConfig(input_dim=(784,), latent_dim=run["config"]["latent"], reconstruction_loss="bce",
                             alpha=t["alpha"], beta=t["beta"], gamma=t["gamma"], use_mss=t["stratified"])
    return BetaTCVAE(config, encoder=Encoder(model), decoder=Decoder(model))


def kernel(config):
    """Pythae's kernel settings from Latent's `mmdKernel` (absent: the inverse multiquadric of bandwidth 1)."""
    k = config.get("mmdKernel") or {"imq": {"bandwidth": 1, "scales": [0.1, 0.2, 0.5, 1, 2, 5, 10]}}
    name, args = next(iter(k.items()))
    return {"kernel_choice": name, "kernel_bandwidth": args["bandwidth"],
            **({"scales": args["scales"]} if name == "imq" else {})}


def wae(run, model):
    c = run["config"]
    config = WAE_MMD_Config(input_dim=(784,), latent_dim=c["latent"], reg_weight=c.get("mmdWeight", 3e-2),
                            **kernel(c))
    return WAE_MMD(config, encoder=Encoder(model), decoder=Decoder(model))


def info_vae(run, model):
    c = run["config"]
    config = INFOVAE_MMD_Config(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                                alpha=c.get("infoAlpha", 0), lbd=c.get("infoLambda", 1000), **kernel(c))
    return INFOVAE_MMD(config, encoder=Encoder(model), decoder=Decoder(model))


def swae(run, model):
    """The paper's SWAE loss in PyTorch (Scripts/family/pythae_reference.py) on Latent's networks."""
    s = run["config"]["slicedWasserstein"]
    return pythae_reference.SWAE(Encoder(model), Decoder(model), s["weight"], s["projections"], s["power"])


def annealed(run, model):
    c = run["config"]["capacity"]
    config = DisentangledBetaVAEConfig(input_dim=(784,), latent_dim=run["config"]["latent"], reconstruction_loss="bce",
                                       beta=c["weight"], C=c["nats"], warmup_epoch=c["warmupEpochs"])
    return DisentangledBetaVAE(config, encoder=Encoder(model), decoder=Decoder(model))


def rae(run, model):
    c = run["config"]
    config = RAE_L2_Config(input_dim=(784,), latent_dim=c["latent"], embedding_weight=c.get("embeddingWeight", 1e-4),
                           reg_weight=c.get("decoderL2", 1e-7))
    return RAE_L2(config, encoder=Encoder(model), decoder=Decoder(model))


def rae_gp(run, model):
    """Pythae's RAE_GP: its penalty is the gradient of the summed output with respect to the input."""
    c = run["config"]
    config = RAE_GP_Config(input_dim=(784,), latent_dim=c["latent"], embedding_weight=c.get("embeddingWeight", 1e-4),
                           reg_weight=c.get("gradientPenalty", 1e-7))
    return RAE_GP(config, encoder=Encoder(model), decoder=Decoder(model))


def dip_vae(run, model):
    """The paper's DIP-VAE loss in PyTorch (Scripts/family/pythae_reference.py; PyTorch-VAE's `DIPVAE` departs from
    the paper) on Latent's networks."""
    d = run["config"]["decorrelation"]
    return pythae_reference.DIPVAE(Encoder(model), Decoder(model), d["typeTwo"], d["offDiagonal"], d.get("diagonal"))


def factor_vae(run, model):
    """Pythae's FactorVAE with Latent's discriminator weights (Pythae's default network: `layers.i` = Latent's
    `discriminator.i`). Both split each batch in two (the VAE's rows, the rows whose codes are shuffled): see
    `split_as_latent`."""
    c = run["config"]
    config = FactorVAEConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                             gamma=c.get("factorGamma", 2))
    pythae = FactorVAE(config, encoder=Encoder(model), decoder=Decoder(model))
    pythae.discriminator.layers.load_state_dict(model.discriminator.state_dict())
    return pythae


def split_as_latent(pythae):
    """Gives Pythae's FactorVAE Latent's split of each batch when it computes the loss: Pythae draws the split
    (`torch.randperm`), Latent's VAE takes the first n - n/2 rows (training batches are shuffled anyway). With the
    same split both estimate the loss on the same test rows; the split's own spread over the 10,000 images (~0.01
    nats on the deepconv body) is not Monte-Carlo error. Returns the model."""
    forward, randperm = pythae.forward, torch.randperm

    def forward_split_as_latent(inputs, **kwargs):
        n, calls = len(inputs["data"]), []

        def first_call_in_order(m, *args, **kw):  # Pythae's idx[n/2:] (its VAE rows) = rows 0 ..< n - n/2
            if calls:
                return randperm(m, *args, **kw)
            calls.append(m)
            return torch.cat([torch.arange(n - n // 2, n), torch.arange(0, n - n // 2)])
        torch.randperm = first_call_in_order
        try:
            return forward(inputs, **kwargs)
        finally:
            torch.randperm = randperm
    pythae.forward = forward_split_as_latent
    return pythae


def adversarial_ae(run, model):
    """Pythae's Adversarial_AE with Latent's discriminator weights (`discriminator.0`, `.2` = Pythae's
    `layers.0.0`, `layers.1.0`; its sigmoid is Latent's logit's)."""
    c = run["config"]
    config = Adversarial_AE_Config(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                                   adversarial_loss_scale=c.get("adversarialWeight", 0.5))
    pythae = Adversarial_AE(config, encoder=Encoder(model), decoder=Decoder(model))
    ours = model.discriminator
    pythae.discriminator.layers[0][0].load_state_dict(ours[0].state_dict())
    pythae.discriminator.layers[1][0].load_state_dict(ours[2].state_dict())
    return pythae


def vae_gan(run, model):
    """Pythae's VAEGAN with Latent's discriminator (`discriminator.0`, `.2` = Pythae's `layers.0.0`, `layers.1.0`)
    and feature layer (Latent's default, the last hidden layer, is Pythae's `reconstruction_layer` = layers)."""
    c = run["config"]
    d = c.get("discriminator") or {"layers": 1}
    config = VAEGANConfig(input_dim=(784,), latent_dim=c["latent"],
                          adversarial_loss_scale=c.get("adversarialWeight", 0.5),
                          reconstruction_layer=c.get("featureLayer", d["layers"]))
    pythae = VAEGAN(config, encoder=Encoder(model), decoder=Decoder(model))
    ours = model.discriminator
    pythae.discriminator.layers[0][0].load_state_dict(ours[0].state_dict())
    pythae.discriminator.layers[1][0].load_state_dict(ours[2].state_dict())
    return pythae


class UnquantizedEncoder(BaseEncoder):
    """A VQ-VAE's encoder before its codebook (Pythae quantizes itself)."""

    def __init__(self, model):
        BaseEncoder.__init__(self)
        self.model = model

    def forward(self, x):
        return ModelOutput(embedding=self.model.code(self.model.encoder(x.reshape(x.shape[0], -1), None)))


def vq_vae(run, model):
    """Pythae's VQVAE (its EMA quantizer) with Latent's codebook buffers."""
    q = run["config"].get("quantization") or {}
    config = VQVAEConfig(input_dim=(784,), latent_dim=run["config"]["latent"], use_ema=True,
                         num_embeddings=q.get("size", 512), commitment_loss_factor=q.get("commitment", 0.25),
                         decay=q.get("decay", 0.99))
    pythae = VQVAE(config, encoder=UnquantizedEncoder(model), decoder=Decoder(model))
    for name in ("embeddings", "cluster_size", "ema_embed"):
        getattr(pythae.quantizer, name).copy_(getattr(model.quantizer, name))
    return pythae


def ms_ssim(run, model):
    """The paper's MS-SSIM VAE loss in PyTorch (Scripts/family/pythae_reference.py): torch's conv2d and avg_pool2d."""
    c = run["config"]
    return pythae_reference.MSSSIMVAE(Encoder(model), Decoder(model), c.get("ssimWeight", 784), c.get("ssimWindow", 11))


def log_cosh(run, model):
    """The paper's log-cosh VAE loss in PyTorch (Scripts/family/pythae_reference.py): torch's `cosh`."""
    return pythae_reference.LogCoshVAE(Encoder(model), Decoder(model), run["config"].get("logCoshAlpha", 10))


def spherical(run, model):
    """Pythae's SVAE: a von Mises-Fisher posterior (Wood's sampler, scipy's Bessel functions), a uniform prior."""
    config = SVAEConfig(input_dim=(784,), latent_dim=run["config"]["latent"], reconstruction_loss="bce")
    return SVAE(config, encoder=SphericalEncoder(model), decoder=Decoder(model))


def poincare(run, model):
    """Pythae's PoincareVAE with wrapped normals (its defaults); the encoder maps its mean into the ball by exp0, as
    the paper's and Pythae's reproduction script's encoder."""
    c = run["config"]
    config = PoincareVAEConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                               curvature=c.get("curvature", 1))
    return PoincareVAE(config, encoder=Encoder(model), decoder=Decoder(model))


def categorical(run, model):
    """The paper's categorical VAE loss in PyTorch (Scripts/family/pythae_reference.py) at Latent's evaluation
    temperature τ_min."""
    c = run["config"]["categorical"]
    return pythae_reference.CategoricalVAE(model, c["categories"], c["minimumTemperature"])


def joint(run, model):
    """The paper's JointVAE loss in PyTorch (Scripts/family/pythae_reference.py) at full capacities."""
    return pythae_reference.JointVAE(model, run["config"]["joint"])


# The kinds Pythae lacks, checked against a reimplementation of their paper's loss.
def iwae(run, model):
    c = run["config"]
    config = IWAEConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                        number_samples=c["importanceSamples"])
    return IWAE(config, encoder=Encoder(model), decoder=Decoder(model))


def miwae(run, model):
    """Pythae's MIWAE normalises its weights over its `number_gradient_estimates` axis and averages over
    `number_samples`: its bounds have number_gradient_estimates samples each, the names swapped against Rainforth
    et al.'s MIWAE(M, K) and Pythae's own docstring. Latent's m bounds of k samples are therefore Pythae's
    number_samples = m, number_gradient_estimates = k."""
    c = run["config"]
    config = MIWAEConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                         number_gradient_estimates=c["importanceSamples"], number_samples=c["importanceGroups"])
    return MIWAE(config, encoder=Encoder(model), decoder=Decoder(model))


def ciwae(run, model):
    c = run["config"]
    config = CIWAEConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                         number_samples=c["importanceSamples"], beta=c["elboWeight"])
    return CIWAE(config, encoder=Encoder(model), decoder=Decoder(model))


def vamp(run, model):
    """Pythae's VAMP with Latent's pseudo-input layer (its `pseudo_inputs[0]`, the same [D, C] weight)."""
    c = run["config"]
    config = VAMPConfig(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                        number_components=c["pseudoInputs"], linear_scheduling_steps=0)
    peer = VAMP(config, encoder=Encoder(model), decoder=Decoder(model))
    peer.pseudo_inputs[0].load_state_dict(model.pseudo_inputs[0].state_dict())
    return peer


def lin_nf(run, model):
    """Pythae's VAE_LinNF with Planar flows holding Latent's flow parameters (w, u, b each)."""
    c = run["config"]
    config = VAE_LinNF_Config(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                              flows=["Planar"] * c["flows"])
    peer = VAE_LinNF(config, encoder=Encoder(model), decoder=Decoder(model))
    for theirs, ours in zip(peer.net, model.flows):
        theirs.load_state_dict(ours.state_dict())
    return peer


def iaf(run, model):
    """Pythae's VAE_IAF (no batch norm) with Latent's MADE weights; its masks are its own, the same degrees."""
    c = run["config"]
    config = VAE_IAF_Config(input_dim=(784,), latent_dim=c["latent"], reconstruction_loss="bce",
                            n_made_blocks=c["madeBlocks"], n_hidden_in_made=c["madeLayers"], hidden_size=c["madeWidth"])
    peer = VAE_IAF(config, encoder=Encoder(model), decoder=Decoder(model))
    for theirs, ours in zip(peer.iaf_flow.net, model.iaf):
        for name, layer in ours.named_children():
            theirs.net[int(name)].weight.data.copy_(layer.weight.data)
            theirs.net[int(name)].bias.data.copy_(layer.bias.data)
        for index, mask in zip(range(0, 2 * len(ours.masks), 2), ours.masks):
            assert torch.equal(theirs.net[index].mask, mask), "Pythae's MADE masks differ from Latent's"
    return peer


REFERENCES = {dip_vae, swae, categorical, joint, ms_ssim, log_cosh}
# Pythae's importance-weighted models report −Σ w̃·log w, a surrogate with the bound's gradient but not its value:
# for them the bound is computed from the log-weights Pythae's loss function sees (`BoundOf`).
BOUNDS = {iwae, miwae, ciwae}

# kind → (flags of `latent train`, the Pythae model on Latent's networks, or a reference of the paper's loss)
KINDS = {
    "betatcvae": (["--tc-weight", "4"], beta_tc),
    "wae": (["--mmd-weight", "10"], wae),
    "infovae": (["--info-alpha", "0.5", "--info-lambda", "100", "--mmd-kernel", "rbf"], info_vae),
    "dipvae": (["--dip-type", "ii", "--dip-off-diagonal", "5"], dip_vae),
    "rae": (["--embedding-weight", "0.5"], rae),
    "raegp": (["--embedding-weight", "0.5", "--gradient-penalty", "0.3"], rae_gp),
    "swae": (["--sw-weight", "100"], swae),
    "annealedvae": (["--capacity", "15", "--capacity-epochs", "3"], annealed),
    "factorvae": (["--factor-gamma", "10", "--discriminator-lr", "1e-3"], factor_vae),
    "categoricalvae": (["--categories", "2", "--temperature-min", "0.7"], categorical),
    "jointvae": (["--categories", "3", "--capacity", "2", "--discrete-capacity", "0.5", "--capacity-weight", "5"],
                 joint),
    "aae": (["--adversarial-weight", "0.8", "--discriminator-lr", "1e-3"], adversarial_ae),
    "msssimvae": (["--ssim-weight", "300", "--ssim-window", "7"], ms_ssim),
    "logcoshvae": (["--log-cosh-alpha", "5"], log_cosh),
    "svae": ([], spherical),
    "poincarevae": (["--curvature", "0.7"], poincare),
    "vaegan": (["--adversarial-weight", "0.3", "--discriminator-lr", "1e-3"], vae_gan),
    "vqvae": (["--codebook", "64", "--commitment", "0.5"], vq_vae),
    "iwae": (["--k", "4"], iwae),
    "miwae": (["--m", "3", "--k", "4"], miwae),
    "ciwae": (["--k", "4", "--elbo-weight", "0.3"], ciwae),
    "vamp": (["--pseudo-inputs", "50"], vamp),
    "linnf": (["--flows", "3"], lin_nf),
    "iaf": (["--made-blocks", "2", "--made-layers", "2", "--made-width", "32"], iaf),
}


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def latent(*args):
    r = subprocess.run([LATENT, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"check_pythae: latent {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def mean_and_error(values):
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
    return m, sd / math.sqrt(len(values))


class BoundOf:
    """Wraps an importance-weighted Pythae model's loss function: from the tensors it is given, the log-weights as
    Pythae forms them (log w = −BCE − KLD with its log q(z|x) and log p(z)), the per-image bound (the log-mean-exp
    over Pythae's normalising axis 1, averaged over the rest; CIWAE mixed with the mean log-weight by its β), and
    a check that Pythae's returned surrogate −Σ w̃·log w is the one of these log-weights."""

    def __init__(self, model):
        self.model, self.original, self.bound = model, model.loss_function, 0.0
        model.loss_function = self

    def __call__(self, recon_x, x, mu, log_var, z):
        out = self.original(recon_x, x, mu, log_var, z)
        target = x.reshape(x.shape[0], *([1] * (recon_x.dim() - 2)), -1).expand_as(recon_x)
        recon = torch.nn.functional.binary_cross_entropy(recon_x, target, reduction="none").sum(-1)
        log_q = (-0.5 * (log_var + (z - mu) ** 2 / log_var.exp())).sum(-1)
        log_w = -recon - (log_q + 0.5 * (z ** 2).sum(-1))
        lse = torch.logsumexp(log_w, 1) - math.log(log_w.shape[1])
        w = torch.softmax(log_w, 1)
        surrogate = -(w * log_w).sum(1)
        if isinstance(self.model, CIWAE):
            beta = self.model.beta
            bound = beta * log_w.mean(1) + (1 - beta) * lse
            surrogate = beta * -log_w.mean(1) + (1 - beta) * surrogate
        else:
            bound = lse
        while bound.dim() > 1:
            bound, surrogate = bound.mean(-1), surrogate.mean(-1)
        if abs(float(surrogate.mean()) - float(out[0])) > 1e-4 * abs(float(out[0])):
            sys.exit(f"check_pythae: the log-weights read from {type(self.model).__name__} give the surrogate "
                     f"{float(surrogate.mean()):.5f}, Pythae {float(out[0]):.5f}")
        self.bound = -float(bound.mean())
        return out


def pythae_loss(model, x, seed):
    """Pythae's loss and its regularisation term (the loss less the reconstruction), per image."""
    torch.manual_seed(seed)
    loss = reg = 0.0
    # RAE_GP differentiates its output with respect to its input inside the loss.
    bound = BoundOf(model) if isinstance(model, (IWAE, MIWAE, CIWAE)) else None
    with torch.no_grad() if not isinstance(model, RAE_GP) else contextlib.nullcontext():
        for start in range(0, len(x), BATCH):
            batch = x[start:start + BATCH]
            # Past any warm-up: Latent evaluates an annealed capacity at its full C.
            out = model(DatasetOutput(data=batch), dataset_size=len(x), epoch=10 ** 9)
            if bound:
                loss += bound.bound * len(batch)
                continue
            loss += float(out.loss) * len(batch)
            reg += float(out.loss - out.recon_loss) * len(batch)
    if bound:
        model.loss_function = bound.original
    return loss / len(x), (None if bound else reg / len(x))


# Terms of Latent's loss that Pythae leaves to its optimiser (the RAE's decoder weight decay).
OPTIMIZER_TERMS = ("test_decoder_l2",)


# The names `latent eval` gives the reconstruction term (the MS-SSIM VAE's is its own).
RECONSTRUCTION_TERMS = ("test_reconstruction", "test_ms_ssim", "test_log_cosh")


def latent_loss(run, seed):
    """`latent eval`'s loss and its regularisation term (the loss less the reconstruction), per image, without the
    terms Pythae's optimiser holds."""
    m = json.loads(latent("eval", run, "--json", "--seed", str(seed)))
    loss = m["test_loss"] - sum(m.get(t, 0) for t in OPTIMIZER_TERMS)
    reconstruction = next((m[t] for t in RECONSTRUCTION_TERMS if t in m), None)
    return loss, (None if reconstruction is None else loss - reconstruction)  # a bound has no such split


def compare(kind, what, ours, theirs, repeats, peer):
    (a, ea), (b, eb) = mean_and_error(ours), mean_and_error(theirs)
    allowed = 4 * math.sqrt(ea ** 2 + eb ** 2) + 1e-4 * abs(b) + 1e-6
    line = (f"{kind} {what}: Latent {a:.4f} ± {ea:.4f}, {peer} {b:.4f} ± {eb:.4f} "
            f"(difference {a - b:+.4f}, allowed ±{allowed:.4f}; {repeats} seeds each)")
    if abs(a - b) > allowed:
        sys.exit(f"check_pythae: {line}")
    return {"kind": kind, "figure": what, "peer": peer, "latent": a, "latent_error": ea, "pythae": b,
            "pythae_error": eb,
            "difference": a - b, "allowed": allowed, "line": line}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="784-512-512-16, 5 epochs on all 60,000 images")
    parser.add_argument("--repeats", type=int, default=6, help="seeds per estimate")
    parser.add_argument("--arch", default="mlp", choices=["mlp", "conv", "deepconv"],
                        help="the networks' body (conv: two stride-2 convolutions before --hidden; deepconv: "
                             "PyTorch-VAE's VanillaVAE, kernel-3 stride-2 convolutions with BatchNorm, 16,32 "
                             "channels on the 28x28 digits, 32,64 with --full)")
    parser.add_argument("--kinds", help="a comma-separated subset of the kinds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    mnist = os.path.join(ROOT, "Sources/LatentData/Resources/mnist")
    x = torch.from_numpy(idx(f"{mnist}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    size = ["--hidden", "512,512", "--latent", "16", "--epochs", "5"] if args.full else \
        ["--hidden", "64", "--latent", "4", "--epochs", "1", "--limit", "3000"]
    if args.arch == "deepconv":  # VanillaVAE's convolutions and BatchNorm, no dense layer: two halvings of 28 x 28
        size = ["--conv-channels", "32,64", "--latent", "16", "--epochs", "5"] if args.full else \
            ["--conv-channels", "16,32", "--latent", "4", "--epochs", "1", "--limit", "3000"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for kind, (flags, make) in KINDS.items():
            if args.kinds and kind not in args.kinds.split(","):
                continue
            out = os.path.join(work, kind)
            latent("train", "--model", kind, *flags, *size, "--arch", args.arch, "--seed", "1", "--out", out,
                   "--no-progress")
            ours = [latent_loss(out, s) for s in range(1, args.repeats + 1)]
            model = latent_torch.load(out)
            with open(os.path.join(out, "model.safetensors"), "rb") as f:
                header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
            run = {"config": json.loads(header["__metadata__"]["config"])}
            peer_model = make(run, model).eval()
            if isinstance(peer_model, FactorVAE):
                split_as_latent(peer_model)
            theirs = [pythae_loss(peer_model, x, s) for s in range(1, args.repeats + 1)]
            for i, what in enumerate(["loss", "regularisation"][:1 if make in BOUNDS else 2]):
                peer = "PyTorch reference" if make in REFERENCES else "Pythae"
                row = compare(kind, what, [o[i] for o in ours], [t[i] for t in theirs], args.repeats, peer)
                rows.append(row)
                if not args.json:
                    print(row["line"], file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
    else:
        print(", ".join(f"{r['kind']} {r['figure']} {r['latent']:.3f} vs {r['pythae']:.3f}" for r in rows)
              + " (Latent vs Pythae or the PyTorch reference, per test image)")


if __name__ == "__main__":
    main()

"""The family's kinds in PyTorch, as Pythae builds them: Pythae's own model classes (pythae 0.1.2; DIP-VAE and
SWAE, which Pythae lacks, with their papers' losses) on the MLP
networks `latent train --hidden … --latent …` builds (Linear + activation per width, mean and log-variance
heads; the decoder mirrored, a sigmoid mean), trained with Adam. With --bench-steps it times training steps as
Scripts/pytorch/timing.py does (the side-by-side speed runs, Scripts/bench_cases.tsv); otherwise it trains
--epochs on MNIST and prints each epoch's losses, as Scripts/pytorch/vae_reference.py does.

    python3 Scripts/family/pythae_reference.py --model betatcvae --hidden 512,512 --latent 16 [--bench-steps 200]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn
from pythae.data.datasets import DatasetOutput
from pythae.models import (INFOVAE_MMD, IWAE, RAE_L2, SVAE, VAE, VAMP, WAE_MMD, IWAEConfig, PoincareVAE,
                           PoincareVAEConfig, VAE_IAF, VAE_IAF_Config, VAE_LinNF, VAE_LinNF_Config, VAMPConfig,
                           Adversarial_AE,
                           Adversarial_AE_Config, BetaTCVAE,
                           BetaTCVAEConfig, DisentangledBetaVAE, RAE_GP, RAE_GP_Config,
                           DisentangledBetaVAEConfig, FactorVAE, FactorVAEConfig, INFOVAE_MMD_Config, RAE_L2_Config,
                           SVAEConfig, VAEConfig, WAE_MMD_Config, VAEGAN, VAEGANConfig, VQVAE, VQVAEConfig)
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseEncoder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from mnist import load  # noqa: E402
from timing import add_common_arguments, bench, parse  # noqa: E402

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class Encoder(BaseEncoder):
    def __init__(self, hidden, latent, activation, variational=True):
        BaseEncoder.__init__(self)
        self.body = nn.Sequential(*[m for a, b in zip([784] + hidden, hidden)
                                    for m in (nn.Linear(a, b), activation())])
        self.mean = nn.Linear(hidden[-1], latent)
        self.logvar = nn.Linear(hidden[-1], latent) if variational else None

    def forward(self, x):
        h = self.body(x)
        if self.logvar is None:
            return ModelOutput(embedding=self.mean(h))
        return ModelOutput(embedding=self.mean(h), log_covariance=self.logvar(h))


class SphericalEncoder(Encoder):
    """The hyperspherical VAE's encoder: the unnormalised direction and h, κ = softplus(h) + 1 (Pythae's SVAE)."""

    def __init__(self, hidden, latent, activation):
        super().__init__(hidden, latent, activation, variational=False)
        self.concentration = nn.Linear(hidden[-1], 1)

    def forward(self, x):
        h = self.body(x)
        return ModelOutput(embedding=self.mean(h), log_concentration=self.concentration(h))


class BallEncoder(Encoder):
    """The Poincaré VAE's encoder: the mean mapped into the ball by exp0 (the paper's), and log sigma^2."""

    def __init__(self, hidden, latent, activation, curvature):
        super().__init__(hidden, latent, activation)
        self.sc = math.sqrt(curvature)

    def forward(self, x):
        h = self.body(x)
        mean = self.mean(h)
        norm = mean.norm(dim=-1, keepdim=True).clamp_min(1e-15)
        centre = torch.tanh(self.sc * norm) * mean / (self.sc * norm)
        return ModelOutput(embedding=centre, log_covariance=self.logvar(h))


class Decoder(BaseDecoder):
    def __init__(self, hidden, latent, activation):
        BaseDecoder.__init__(self)
        widths = [latent] + hidden[::-1]
        layers = [m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), activation())]
        self.net = nn.Sequential(*layers, nn.Linear(widths[-1], 784), nn.Sigmoid())

    def forward(self, z):
        return ModelOutput(reconstruction=self.net(z))


class DIPVAE(nn.Module):
    """DIP-VAE with the paper's loss (Kumar et al. 2018; Pythae has none): the mean BCE + KL per example plus
    λ_od·Σ off-diagonal² + λ_d·Σ (diagonal − 1)² of the covariance of the means (type I) or codes
    (type II)."""

    def __init__(self, encoder, decoder, type_two, off_diagonal, diagonal):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.type_two, self.od = type_two, off_diagonal
        self.diag = diagonal if diagonal is not None else (off_diagonal if type_two else 10 * off_diagonal)

    def forward(self, inputs, **kwargs):
        x = inputs["data"]
        out = self.encoder(x)
        mean, log_var = out.embedding, out.log_covariance
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        recon = nn.functional.binary_cross_entropy(self.decoder(z).reconstruction, x, reduction="none").sum(-1)
        kl = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp(), dim=-1)
        centred = mean - mean.mean(0, keepdim=True)
        cov = centred.t() @ centred / len(x)
        if self.type_two:
            cov = cov + torch.diag(log_var.exp().mean(0))
        off = cov - torch.diag(torch.diag(cov))
        penalty = self.od * (off ** 2).sum() + self.diag * ((torch.diag(cov) - 1) ** 2).sum()
        return ModelOutput(loss=(recon + kl).mean() + penalty, recon_loss=recon.mean())


class SWAE(nn.Module):
    """SWAE with the paper's loss (Kolouri et al. 2019; Pythae has none): BCE + λ·SW_p^p between the codes and
    N(0, I) draws along L random unit directions."""

    def __init__(self, encoder, decoder, weight, projections, power):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.weight, self.projections, self.power = weight, projections, power

    def forward(self, inputs, **kwargs):
        x = inputs["data"]
        z = self.encoder(x).embedding
        recon = nn.functional.binary_cross_entropy(self.decoder(z).reconstruction, x, reduction="none").sum(-1)
        theta = torch.randn(self.projections, z.shape[1])
        theta = theta / theta.norm(dim=1, keepdim=True)
        a = torch.sort((z @ theta.t()).t(), dim=1)[0]
        b = torch.sort((torch.randn_like(z) @ theta.t()).t(), dim=1)[0]
        return ModelOutput(loss=recon.mean() + self.weight * ((a - b).abs() ** self.power).mean(),
                           recon_loss=recon.mean())


class MSSSIMVAE(nn.Module):
    """The MS-SSIM VAE with the paper's loss (Snell et al. 2017; Pythae has none): w·(1 − MS-SSIM) per image of the
    Bernoulli mean + KL, MS-SSIM over five scales of a σ = 1.5 Gaussian window (zero-padded, as PyTorch-VAE's
    `MSSIM`, but with the Gaussian's sign and Wang et al.'s product: Π_{j<5} cs_j^{w_j}·ssim_5^{w_5}, each factor
    per image, clipped at 0, + 1e-6)."""

    WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    def __init__(self, encoder, decoder, weight, window, side=28):
        super().__init__()
        self.encoder, self.decoder, self.weight, self.window, self.side = encoder, decoder, weight, window, side
        g = torch.exp(-(torch.arange(window, dtype=torch.float64) - window // 2) ** 2 / (2 * 1.5 ** 2))
        g = g / g.sum()
        self.kernel = (g[:, None] * g[None, :]).float()[None, None]

    def similarity(self, a, b):
        blur = lambda v: nn.functional.conv2d(v, self.kernel, padding=self.window // 2)  # noqa: E731
        log_ms = 0
        for level, w in enumerate(self.WEIGHTS):
            mu_a, mu_b = blur(a), blur(b)
            var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
            cov = blur(a * b) - mu_a * mu_b
            cs = (2 * cov + 0.03 ** 2) / (var_a + var_b + 0.03 ** 2)
            ssim = (2 * mu_a * mu_b + 0.01 ** 2) * cs / (mu_a ** 2 + mu_b ** 2 + 0.01 ** 2)
            term = (ssim if level == len(self.WEIGHTS) - 1 else cs).mean((1, 2, 3))
            log_ms = log_ms + w * torch.log(torch.relu(term) + 1e-6)
            if level < len(self.WEIGHTS) - 1:
                a, b = nn.functional.avg_pool2d(a, 2), nn.functional.avg_pool2d(b, 2)
        return torch.exp(log_ms)

    def forward(self, inputs, **kwargs):
        x = inputs["data"]
        out = self.encoder(x)
        mean, log_var = out.embedding, out.log_covariance
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        shape = (len(x), 1, self.side, self.side)
        recon = self.weight * (1 - self.similarity(self.decoder(z).reconstruction.reshape(shape), x.reshape(shape)))
        kl = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp(), dim=-1)
        return ModelOutput(loss=(recon + kl).mean(), recon_loss=recon.mean())


class LogCoshVAE(nn.Module):
    """The log-cosh VAE with the paper's loss (Chen et al. 2019; Pythae has none, PyTorch-VAE's `LogCoshVAE`
    averages over pixels and weighs the KL by the batch's share of the data): Σ (1/α)·log cosh(α·(x̂ − x)) of
    the Bernoulli mean x̂ per image + KL, the paper's log cosh itself (torch's `cosh`, finite for
    α·|x̂ − x| < 89)."""

    def __init__(self, encoder, decoder, alpha):
        super().__init__()
        self.encoder, self.decoder, self.alpha = encoder, decoder, alpha

    def forward(self, inputs, **kwargs):
        x = inputs["data"]
        out = self.encoder(x)
        mean, log_var = out.embedding, out.log_covariance
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        error = self.decoder(z).reconstruction.reshape(x.shape) - x
        recon = (torch.log(torch.cosh(self.alpha * error)) / self.alpha).sum(-1)
        kl = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp(), dim=-1)
        return ModelOutput(loss=(recon + kl).mean(), recon_loss=recon.mean())


class CategoricalVAE(nn.Module):
    """The categorical VAE with the paper's loss (Jang et al. 2017; Pythae has none, PyTorch-VAE's `CategoricalVAE`
    weighs an MSE): BCE of the decoder at the Gumbel-softmax draw softmax((log q + g) / τ) + Σ KL(q ‖ uniform) of
    each categorical variable, on a Latent model loaded by latent_torch (its `code` head gives the logits)."""

    def __init__(self, model, categories, temperature):
        super().__init__()
        self.model, self.categories, self.temperature = model, categories, temperature

    def forward(self, inputs, **kwargs):
        x = inputs["data"]
        logits = self.model.code(self.model.encoder(x, None))
        log_q = torch.log_softmax(logits.reshape(len(x), -1, self.categories), -1)
        u = torch.rand_like(log_q).clamp(1e-10, 1 - 1e-7)
        relaxed = torch.softmax((log_q - torch.log(-torch.log(u))) / self.temperature, -1).reshape(len(x), -1)
        recon = nn.functional.binary_cross_entropy_with_logits(self.model.decode_logits(relaxed), x,
                                                               reduction="none").sum(-1)
        kl = (log_q.exp() * (log_q + math.log(self.categories))).sum((1, 2))
        return ModelOutput(loss=(recon + kl).mean(), recon_loss=recon.mean())


class JointVAE(nn.Module):
    """JointVAE with the paper's loss (Dupont 2018; Pythae has none, PyTorch-VAE's `JointVAE` weighs an MSE): BCE of
    the decoder at [z; Gumbel-softmax draw] + γ·|mean KL_z − C_z| + γ·|mean KL_c − min(C_c, log K)| (full
    capacities), on a Latent model loaded by latent_torch."""

    def __init__(self, model, joint):
        super().__init__()
        self.model, self.joint = model, joint

    def forward(self, inputs, **kwargs):
        x, m, j = inputs["data"], self.model, self.joint
        h = m.encoder(x, None)
        mu, log_var = m.mean(h), m.logvar(h)
        log_q = torch.log_softmax(m.category(h), -1)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        u = torch.rand_like(log_q).clamp(1e-10, 1 - 1e-7)
        relaxed = torch.softmax((log_q - torch.log(-torch.log(u))) / j["temperature"], -1)
        recon = nn.functional.binary_cross_entropy_with_logits(m.decode_logits(torch.cat([z, relaxed], 1)), x,
                                                               reduction="none").sum(-1)
        kl_z = (0.5 * (mu ** 2 + log_var.exp() - log_var - 1)).sum(1).mean()
        k = j["categories"]
        kl_c = (log_q.exp() * (log_q + math.log(k))).sum(1).mean()
        gap = j["gamma"] * ((kl_z - j["continuousCapacity"]).abs()
                            + (kl_c - min(j["discreteCapacity"], math.log(k))).abs())
        return ModelOutput(loss=recon.mean() + gap, recon_loss=recon.mean())


class Networks(nn.Module):
    """The networks `latent train` builds for a categorical VAE or a JointVAE, named as latent_torch names them
    (encoder body, heads, decoder logits), for the references above to train."""

    def __init__(self, hidden, latent, activation, kind, categories):
        super().__init__()
        widths = [784] + hidden
        self.body = nn.Sequential(*[m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), activation())])
        if kind == "jointvae":
            continuous = latent - categories
            self.mean, self.logvar = nn.Linear(hidden[-1], continuous), nn.Linear(hidden[-1], continuous)
            self.category = nn.Linear(hidden[-1], categories)
        else:
            self.code = nn.Linear(hidden[-1], latent)
        back = [latent] + hidden[::-1]
        self.decoder = nn.Sequential(*[m for a, b in zip(back, back[1:]) for m in (nn.Linear(a, b), activation())],
                                     nn.Linear(back[-1], 784))

    def encoder(self, x, condition):
        return self.body(x)

    def decode_logits(self, z):
        return self.decoder(z)


class TwoLayerIWAE(nn.Module):
    """Burda et al.'s IWAE with two stochastic layers in plain PyTorch (Pythae has none): q(h1|x) q(h2|h1) up,
    p(h2) = N(0, I), p(h1|h2), Bernoulli p(x|h1) down, the negative k-sample bound as the loss."""

    def __init__(self, hidden, latent, upper_hidden, upper_latent, activation, k):
        super().__init__()

        def mlp(widths):
            return nn.Sequential(*[m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), activation())])
        self.k = k
        self.q1, self.q2 = mlp([784] + hidden), mlp([latent] + upper_hidden)
        self.q1_heads = nn.Linear(hidden[-1], latent), nn.Linear(hidden[-1], latent)
        self.q2_heads = nn.Linear(upper_hidden[-1], upper_latent), nn.Linear(upper_hidden[-1], upper_latent)
        self.p1 = mlp([upper_latent] + upper_hidden[::-1])
        self.p1_heads = nn.Linear(upper_hidden[0], latent), nn.Linear(upper_hidden[0], latent)
        self.px = nn.Sequential(mlp([latent] + hidden[::-1]), nn.Linear(hidden[0], 784))
        self.heads = nn.ModuleList([*self.q1_heads, *self.q2_heads, *self.p1_heads])

    @staticmethod
    def log_normal(z, mean, logvar):
        return -0.5 * (logvar + (z - mean) ** 2 / logvar.exp()).sum(-1)

    def forward(self, inputs, **kwargs):
        x = inputs["data"].repeat_interleave(self.k, 0)
        h = self.q1(x)
        m1, v1 = self.q1_heads[0](h), self.q1_heads[1](h)
        h1 = m1 + torch.exp(0.5 * v1) * torch.randn_like(m1)
        g = self.q2(h1)
        m2, v2 = self.q2_heads[0](g), self.q2_heads[1](g)
        h2 = m2 + torch.exp(0.5 * v2) * torch.randn_like(m2)
        p = self.p1(h2)
        log_px = -nn.functional.binary_cross_entropy_with_logits(self.px(h1), x, reduction="none").sum(-1)
        log_w = (log_px + self.log_normal(h1, self.p1_heads[0](p), self.p1_heads[1](p))
                 + self.log_normal(h2, torch.zeros_like(h2), torch.zeros_like(h2))
                 - self.log_normal(h1, m1, v1) - self.log_normal(h2, m2, v2)).view(-1, self.k)
        bound = torch.logsumexp(log_w, 1) - math.log(self.k)
        return ModelOutput(loss=-bound.mean(), recon_loss=-log_px.mean())


def make(args):
    """Pythae's model of `--model` with Latent's defaults for the kind's weights."""
    hidden, act = [int(h) for h in args.hidden.split(",")], ACTIVATIONS[args.activation]
    encoder = Encoder(hidden, args.latent, act, variational=args.model not in ("wae", "rae", "swae", "raegp", "vqvae"))
    decoder = Decoder(hidden, args.latent, act)
    common = {"input_dim": (784,), "latent_dim": args.latent, "reconstruction_loss": "bce"}
    if args.model == "categoricalvae":
        return CategoricalVAE(Networks(hidden, args.latent, act, args.model, args.categories), args.categories, 1.0)
    if args.model == "jointvae":
        joint = {"categories": args.categories, "continuousCapacity": 5, "discreteCapacity": 5, "gamma": 30,
                 "temperature": 0.67}
        return JointVAE(Networks(hidden, args.latent, act, args.model, args.categories), joint)
    if args.model == "betatcvae":
        config = BetaTCVAEConfig(**common, alpha=args.tc_alpha, beta=args.tc_weight, gamma=args.tc_gamma)
        return BetaTCVAE(config, encoder=encoder, decoder=decoder)
    if args.model == "wae":
        config = WAE_MMD_Config(input_dim=(784,), latent_dim=args.latent, reg_weight=args.mmd_weight)
        return WAE_MMD(config, encoder=encoder, decoder=decoder)
    if args.model == "annealedvae":
        config = DisentangledBetaVAEConfig(**common, beta=args.capacity_weight, C=args.capacity,
                                           warmup_epoch=args.capacity_epochs)
        return DisentangledBetaVAE(config, encoder=encoder, decoder=decoder)
    if args.model == "swae":
        return SWAE(encoder, decoder, args.sw_weight, args.sw_projections, args.sw_power)
    if args.model == "rae":
        config = RAE_L2_Config(input_dim=(784,), latent_dim=args.latent, embedding_weight=args.embedding_weight,
                               reg_weight=args.decoder_l2)
        return RAE_L2(config, encoder=encoder, decoder=decoder)
    if args.model == "raegp":
        config = RAE_GP_Config(input_dim=(784,), latent_dim=args.latent, embedding_weight=args.embedding_weight,
                               reg_weight=args.gradient_penalty)
        return RAE_GP(config, encoder=encoder, decoder=decoder)
    if args.model == "poincarevae":
        config = PoincareVAEConfig(input_dim=(784,), latent_dim=args.latent, reconstruction_loss="bce", curvature=1)
        return PoincareVAE(config, encoder=BallEncoder(hidden, args.latent, act, 1), decoder=decoder)
    if args.model == "svae":
        config = SVAEConfig(input_dim=(784,), latent_dim=args.latent, reconstruction_loss="bce")
        return SVAE(config, encoder=SphericalEncoder(hidden, args.latent, act), decoder=decoder)
    if args.model == "msssimvae":
        return MSSSIMVAE(encoder, decoder, args.ssim_weight or 784, args.ssim_window)
    if args.model == "logcoshvae":
        return LogCoshVAE(encoder, decoder, args.log_cosh_alpha)
    if args.model == "dipvae":
        return DIPVAE(encoder, decoder, args.dip_type == "ii", args.dip_off_diagonal, args.dip_diagonal)
    if args.model == "aae":
        config = Adversarial_AE_Config(**common, adversarial_loss_scale=args.adversarial_weight)
        return Adversarial_AE(config, encoder=encoder, decoder=decoder)
    if args.model == "vaegan":  # Pythae's default discriminator; features of its hidden layer, as Latent's default
        config = VAEGANConfig(input_dim=(784,), latent_dim=args.latent,
                              adversarial_loss_scale=args.adversarial_weight, reconstruction_layer=1)
        return VAEGAN(config, encoder=encoder, decoder=decoder)
    if args.model == "vqvae":  # the EMA quantizer, as Latent's (Latent also restarts dead entries)
        config = VQVAEConfig(input_dim=(784,), latent_dim=args.latent, use_ema=True, num_embeddings=args.codebook,
                             commitment_loss_factor=args.commitment, decay=args.codebook_decay)
        return VQVAE(config, encoder=encoder, decoder=decoder)
    if args.model == "iwae":
        return IWAE(IWAEConfig(**common, number_samples=args.k), encoder=encoder, decoder=decoder)
    if args.model == "vamp":
        return VAMP(VAMPConfig(**common, number_components=args.pseudo_inputs), encoder=encoder, decoder=decoder)
    if args.model == "linnf":
        config = VAE_LinNF_Config(**common, flows=["Planar"] * args.flows)
        return VAE_LinNF(config, encoder=encoder, decoder=decoder)
    if args.model == "iaf":
        config = VAE_IAF_Config(**common, n_made_blocks=args.made_blocks, n_hidden_in_made=args.made_layers,
                                hidden_size=args.made_width)
        return VAE_IAF(config, encoder=encoder, decoder=decoder)
    if args.model == "iwae2":
        upper = [int(h) for h in args.upper_hidden.split(",")]
        return TwoLayerIWAE(hidden, args.latent, upper, args.upper_latent, act, args.k)
    if args.model == "factorvae":
        return FactorVAE(FactorVAEConfig(**common, gamma=args.factor_gamma), encoder=encoder, decoder=decoder)
    if args.model == "infovae":
        config = INFOVAE_MMD_Config(**common, alpha=args.info_alpha, lbd=args.info_lambda)
        return INFOVAE_MMD(config, encoder=encoder, decoder=decoder)
    return VAE(VAEConfig(**common), encoder=encoder, decoder=decoder)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="betatcvae",
                   choices=["vae", "betatcvae", "wae", "infovae", "dipvae", "rae", "swae", "annealedvae", "factorvae",
                            "aae", "raegp", "categoricalvae", "jointvae", "msssimvae", "logcoshvae", "svae",
                            "poincarevae", "vaegan", "vqvae", "iwae", "vamp", "linnf", "iwae2", "iaf"])
    p.add_argument("--hidden", default="512,512")
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--activation", default="relu", choices=list(ACTIVATIONS))
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--tc-alpha", type=float, default=1)
    p.add_argument("--tc-weight", type=float, default=6)
    p.add_argument("--tc-gamma", type=float, default=1)
    p.add_argument("--mmd-weight", type=float, default=3e-2)
    p.add_argument("--info-alpha", type=float, default=0)
    p.add_argument("--info-lambda", type=float, default=1000)
    p.add_argument("--embedding-weight", type=float, default=1e-4)
    p.add_argument("--decoder-l2", type=float, default=1e-7)
    p.add_argument("--gradient-penalty", type=float, default=1e-7)
    p.add_argument("--categories", type=int, default=10)
    p.add_argument("--capacity", type=float, default=50)
    p.add_argument("--capacity-weight", type=float, default=10)
    p.add_argument("--capacity-epochs", type=int, default=25)
    p.add_argument("--sw-weight", type=float, default=10)
    p.add_argument("--sw-projections", type=int, default=50)
    p.add_argument("--sw-power", type=float, default=2)
    p.add_argument("--ssim-weight", type=float)
    p.add_argument("--ssim-window", type=int, default=11)
    p.add_argument("--log-cosh-alpha", type=float, default=10)
    p.add_argument("--dip-type", default="i", choices=["i", "ii"])
    p.add_argument("--dip-off-diagonal", type=float, default=10)
    p.add_argument("--dip-diagonal", type=float)
    p.add_argument("--factor-gamma", type=float, default=2)
    p.add_argument("--discriminator-lr", type=float, default=1e-4)
    p.add_argument("--adversarial-weight", type=float, default=0.5)
    p.add_argument("--codebook", type=int, default=512)
    p.add_argument("--commitment", type=float, default=0.25)
    p.add_argument("--codebook-decay", type=float, default=0.99)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--pseudo-inputs", type=int, default=500)
    p.add_argument("--flows", type=int, default=2)
    p.add_argument("--made-blocks", type=int, default=2)
    p.add_argument("--made-layers", type=int, default=3)
    p.add_argument("--made-width", type=int, default=128)
    p.add_argument("--upper-hidden", default="100,100")
    p.add_argument("--upper-latent", type=int, default=50)
    add_common_arguments(p)
    args = parse(p)
    train_x = torch.from_numpy(load("train")[0])
    model = make(args)
    if args.model == "rae":  # Pythae's RAE_L2: the decoder's L2 is its optimiser's weight decay
        opt = torch.optim.Adam([{"params": model.encoder.parameters()},
                                {"params": model.decoder.parameters(), "weight_decay": args.decoder_l2}], lr=args.lr)
    elif args.model in ("factorvae", "aae"):  # Pythae's AdversarialTrainer: an optimiser for each loss
        opt = torch.optim.Adam(list(model.encoder.parameters()) + list(model.decoder.parameters()), lr=args.lr)
        betas = (0.5, 0.9) if args.model == "factorvae" else (0.9, 0.999)
        d_opt = torch.optim.Adam(model.discriminator.parameters(), lr=args.discriminator_lr, betas=betas)
    elif args.model == "vaegan":  # Pythae's CoupledOptimizerAdversarialTrainer: encoder, decoder, discriminator
        opts = {"encoder": torch.optim.Adam(model.encoder.parameters(), lr=args.lr),
                "decoder": torch.optim.Adam(model.decoder.parameters(), lr=args.lr),
                "discriminator": torch.optim.Adam(model.discriminator.parameters(), lr=args.discriminator_lr)}
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    def step(x):
        if args.model == "vaegan":  # CoupledOptimizerAdversarialTrainer._optimizers_step's order
            out = model(DatasetOutput(data=x))
            updated = [k for k in opts if out[f"update_{k}"]]
            for k in updated:
                opts[k].zero_grad()
                out[f"{k}_loss"].backward(retain_graph=k != updated[-1])
            for k in updated:
                opts[k].step()
            return out.loss.item() * len(x)
        if args.model in ("factorvae", "aae"):  # AdversarialTrainer.train_step's order
            out = model(DatasetOutput(data=x), dataset_size=len(train_x))
            opt.zero_grad()
            out.autoencoder_loss.backward(retain_graph=True)
            d_opt.zero_grad()
            out.discriminator_loss.backward()
            opt.step()
            d_opt.step()
            return out.loss.item() * len(x)
        opt.zero_grad()
        out = model(DatasetOutput(data=x), dataset_size=len(train_x))
        out.loss.backward()
        opt.step()
        return out.loss.item() * len(x)

    if args.bench_steps:
        def batch_at(i):
            j = (i * args.batch_size) % (len(train_x) - args.batch_size)
            return train_x[j:j + args.batch_size]
        bench(step, batch_at, args.batch_size, args.bench_steps, args.threads)
        return
    test_x = torch.from_numpy(load("test")[0])
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, start = 0.0, time.perf_counter()
        for idx in torch.randperm(len(train_x)).split(args.batch_size):
            total += step(train_x[idx])
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test = sum(float(model(DatasetOutput(data=x), dataset_size=len(test_x)).loss) * len(x)
                       for x in test_x.split(args.batch_size))
        print(json.dumps({"epoch": epoch, "train_loss": total / len(train_x), "test_loss": test / len(test_x),
                          "images_per_second": len(train_x) / seconds}), flush=True)


if __name__ == "__main__":
    main()

"""Writes Pythae's own loss values for the family's kinds on fixed inputs
(Tests/LatentTests/Fixtures/pythae.safetensors),
which the Swift tests hold Latent's losses to.

Versions are pinned in Scripts/family/requirements.txt (pythae 0.1.2). Run from the repository root, in the venv:

    bash Scripts/venv.sh Scripts/family/requirements.txt && .venv/bin/python Scripts/family/make_pythae_fixtures.py

Each case stores its inputs in float32 and Pythae's figures (`loss_function` on those inputs, computed in float64,
stored in float32 as Latent reads them) as 1-element tensors, named CASE.NAME.
"""
import os

import numpy as np
import torch
from pythae.models import (INFOVAE_MMD, RAE_L2, WAE_MMD, BetaTCVAE, BetaTCVAEConfig, DisentangledBetaVAE,
                           DisentangledBetaVAEConfig, INFOVAE_MMD_Config, RAE_L2_Config, WAE_MMD_Config)
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseEncoder
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LatentTests", "Fixtures", "pythae.safetensors")


def f32(t):
    return np.ascontiguousarray(t.detach().to(torch.float32).numpy())


def scalar(value):
    return np.array([float(value)], dtype=np.float32)


class Unused(BaseEncoder, BaseDecoder):
    """A stand-in network: the fixtures call the models' loss functions on given tensors."""

    def __init__(self):
        BaseEncoder.__init__(self)

    def forward(self, x):
        return ModelOutput(embedding=x, log_covariance=x, reconstruction=x)


def beta_tc_cases(tensors):
    """BetaTCVAE.loss_function: reconstruction (bce) + α·MI + β·TC + γ·dimension-wise KL, mean over the batch."""
    generator = torch.Generator().manual_seed(1)
    cases = [("mss", True, 1.0, 6.0, 1.0, 8, 60000), ("mws", False, 0.5, 3.0, 2.0, 8, 100),
             ("pair", True, 1.0, 4.0, 1.0, 2, 10)]
    for name, mss, alpha, beta, gamma, batch, dataset in cases:
        features, latent = 12, 3
        x = torch.rand(batch, features, generator=generator)
        logits = torch.randn(batch, features, generator=generator) * 2
        mu = torch.randn(batch, latent, generator=generator)
        log_var = torch.randn(batch, latent, generator=generator) * 0.5
        eps = torch.randn(batch, latent, generator=generator)
        # Inputs rounded to float32 once; Pythae computes in float64 from them.
        x, logits, mu, log_var, eps = (torch.from_numpy(f32(t)) for t in (x, logits, mu, log_var, eps))
        z = torch.from_numpy(f32(mu + torch.exp(0.5 * log_var) * eps))
        config = BetaTCVAEConfig(input_dim=(features,), latent_dim=latent, reconstruction_loss="bce",
                                 alpha=alpha, beta=beta, gamma=gamma, use_mss=mss)
        model = BetaTCVAE(config, encoder=Unused(), decoder=Unused()).double()
        loss, recon, kl = model.loss_function(torch.sigmoid(logits.double()), x.double(), mu.double(),
                                              log_var.double(), z.double(), dataset)
        prefix = f"betatcvae.{name}."
        tensors.update({prefix + "x": f32(x), prefix + "logits": f32(logits), prefix + "mean": f32(mu),
                        prefix + "logvar": f32(log_var), prefix + "z": f32(z),
                        prefix + "weights": np.array([alpha, beta, gamma], dtype=np.float32),
                        prefix + "stratified": np.array([1 if mss else 0], dtype=np.float32),
                        prefix + "dataset_size": np.array([dataset], dtype=np.float32),
                        prefix + "loss": scalar(loss), prefix + "reconstruction": scalar(recon),
                        prefix + "kl": scalar(kl)})


def mmd_cases(tensors):
    """WAE_MMD.loss_function (Σ (x̂ − x)² + λ·MMD) and INFOVAE_MMD.loss_function (bce + (1 − α)·KL +
    (α + λ − 1)·MMD), both kernels, on given codes and prior draws."""
    generator = torch.Generator().manual_seed(2)
    cases = [("imq", "imq", 1.0, 3e-2, 0.0, 1000.0, 9), ("rbf", "rbf", 0.7, 2.0, -1.5, 5.0, 9),
             ("one", "imq", 1.0, 3e-2, 0.0, 1000.0, 1)]
    for name, kernel, bandwidth, weight, alpha, lbd, batch in cases:
        features, latent = 12, 3
        x = torch.rand(batch, features, generator=generator)
        logits = torch.randn(batch, features, generator=generator) * 2
        mu = torch.randn(batch, latent, generator=generator)
        log_var = torch.randn(batch, latent, generator=generator) * 0.5
        z = torch.randn(batch, latent, generator=generator) * 1.3
        prior = torch.randn(batch, latent, generator=generator)
        x, logits, mu, log_var, z, prior = (torch.from_numpy(f32(t)) for t in (x, logits, mu, log_var, z, prior))
        d = lambda t: t.double()  # noqa: E731
        wae = WAE_MMD(WAE_MMD_Config(input_dim=(features,), latent_dim=latent, kernel_choice=kernel,
                                     kernel_bandwidth=bandwidth, reg_weight=weight),
                      encoder=Unused(), decoder=Unused()).double()
        loss, recon, mmd = wae.loss_function(torch.sigmoid(d(logits)), d(x), d(z), d(prior))
        info = INFOVAE_MMD(INFOVAE_MMD_Config(input_dim=(features,), latent_dim=latent, kernel_choice=kernel,
                                              kernel_bandwidth=bandwidth, alpha=alpha, lbd=lbd,
                                              reconstruction_loss="bce"),
                           encoder=Unused(), decoder=Unused()).double()
        info_loss, info_recon, kl, info_mmd = info.loss_function(
            torch.sigmoid(d(logits)), d(x), d(z), d(prior), d(mu), d(log_var))
        prefix = f"mmd.{name}."
        tensors.update({prefix + "x": f32(x), prefix + "logits": f32(logits), prefix + "mean": f32(mu),
                        prefix + "logvar": f32(log_var), prefix + "z": f32(z), prefix + "prior": f32(prior),
                        prefix + "settings": np.array([1 if kernel == "rbf" else 0, bandwidth, weight, alpha, lbd],
                                                      dtype=np.float32),
                        prefix + "wae_loss": scalar(loss), prefix + "wae_reconstruction": scalar(recon),
                        prefix + "mmd": scalar(mmd), prefix + "infovae_loss": scalar(info_loss),
                        prefix + "infovae_kl": scalar(kl)})


def rae_cases(tensors):
    """RAE_L2.loss_function: Σ (x̂ − x)² + β·½‖z‖², mean over the batch (the decoder's L2 is Pythae's
    optimiser's)."""
    generator = torch.Generator().manual_seed(3)
    x, logits = torch.rand(5, 12, generator=generator), torch.randn(5, 12, generator=generator) * 2
    z = torch.randn(5, 3, generator=generator)
    x, logits, z = (torch.from_numpy(f32(t)) for t in (x, logits, z))
    model = RAE_L2(RAE_L2_Config(input_dim=(12,), latent_dim=3, embedding_weight=0.3),
                   encoder=Unused(), decoder=Unused()).double()
    loss, recon, embedding = model.loss_function(torch.sigmoid(logits.double()), x.double(), z.double())
    tensors.update({"rae.x": f32(x), "rae.logits": f32(logits), "rae.z": f32(z), "rae.loss": scalar(loss),
                    "rae.embedding": scalar(embedding)})


def annealed_cases(tensors):
    """DisentangledBetaVAE.loss_function: bce + γ·|KL − C·min(epoch/(T + 1), 1)| per example, mean over the
    batch, at epochs 1, 3 and 40 (C = 8, T = 5, γ = 4)."""
    generator = torch.Generator().manual_seed(4)
    x, logits = torch.rand(6, 12, generator=generator), torch.randn(6, 12, generator=generator) * 2
    mu, log_var = torch.randn(6, 3, generator=generator) * 1.5, torch.randn(6, 3, generator=generator)
    x, logits, mu, log_var = (torch.from_numpy(f32(t)) for t in (x, logits, mu, log_var))
    model = DisentangledBetaVAE(DisentangledBetaVAEConfig(input_dim=(12,), latent_dim=3, reconstruction_loss="bce",
                                                          beta=4, C=8, warmup_epoch=5),
                                encoder=Unused(), decoder=Unused()).double()
    tensors.update({"annealed.x": f32(x), "annealed.logits": f32(logits), "annealed.mean": f32(mu),
                    "annealed.logvar": f32(log_var)})
    for epoch in (1, 3, 40):
        loss, recon, kl = model.loss_function(torch.sigmoid(logits.double()), x.double(), mu.double(),
                                              log_var.double(), mu.double(), epoch)
        tensors[f"annealed.loss.{epoch}"] = scalar(loss)


def main():
    tensors = {}
    annealed_cases(tensors)
    rae_cases(tensors)
    beta_tc_cases(tensors)
    mmd_cases(tensors)
    save_file(tensors, OUT, metadata={"generator": "Scripts/family/make_pythae_fixtures.py",
                                      "pythae": "0.1.2", "torch": torch.__version__})
    print(f"wrote {os.path.normpath(OUT)}: {len(tensors)} tensors (pythae 0.1.2)")


if __name__ == "__main__":
    main()

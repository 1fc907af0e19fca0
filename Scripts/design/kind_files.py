#!/usr/bin/env python3
"""Counts, for each model kind, the files of Sources/ that name it, and fails above a limit (default 3).

A kind is named by its case (`.iwae`, `case iwae`, "iwae"), its own type names (`IWAE`) and its own
hyperparameters and flags (`importanceSamples`, `--k`): the patterns are listed in KINDS below. Comments are
not code and are skipped. The registry (the list of kinds) and the CLI's list of kinds' options may name every
kind and are not counted. Usage: kind_files.py [--limit N] [--list] [ROOT]   (standard library only)
"""
import os
import re
import sys

KINDS = {
    "ae": [r"\.ae\b", r"\bcase ae\b", r'"ae"', r"\bAE\b"],
    "sae": [r"\.sae\b", r"\bcase sae\b", r'"sae"', r"\bSAE\b", r"\bSparsity\b", r"\.sparsity\b",
            r"\bsparsity(Weight|Target)\b", r"sparsity-(weight|target)", r'"l1"', r"\bl1\b"],
    "dae": [r"\.dae\b", r"\bcase dae\b", r'"dae"', r"\bDAE\b", r"\bCorruption\b", r"\b(config|c)\.noise\b",
            r"\bpsnr", r"PSNR\b"],
    "vae": [r"\.vae\b", r"\bcase vae\b", r'"vae"', r"(?<![-β])\bVAE\b"],  # not PyTorch-VAE, β-VAE
    # --k (`importanceSamples`) and --dreg are shared by the importance-weighted kinds (ImportanceWeightedBound.swift)
    "iwae": [r"\.iwae\b", r"\bcase iwae\b", r'"iwae"', r"\bIWAE\b"],
    "cvae": [r"\.cvae\b", r"\bcase cvae\b", r'"cvae"', r"\bCVAE\b"],
    "classifier": [r"\.classifier\b", r"\bcase classifier\b", r'"classifier"', r"\bClassifier\b"],
    "logcoshvae": [r"\.logcoshvae\b", r"\bcase logcoshvae\b", r'"logcoshvae"', r"\bLogCosh(VAE|Autoencoder)\b",
                   r"\blogCoshAlpha\b", r"log-cosh-alpha"],
    "betatcvae": [r"\.betatcvae\b", r"\bcase betatcvae\b", r'"betatcvae"', r"\bBetaTC(VAE|Autoencoder)\b",
                  r"\bTotalCorrelation\b", r"\btotalCorrelation\b", r"--tc-"],
    "wae": [r"\.wae\b", r"\bcase wae\b", r'"wae"', r"\bWAE\b", r"\bWassersteinAutoencoder\b", r"\bmmdWeight\b",
            r"--mmd-weight"],
    "infovae": [r"\.infovae\b", r"\bcase infovae\b", r'"infovae"', r"\bInfoVAE\b", r"\bInfoMaxAutoencoder\b",
                r"\binfo(Alpha|Lambda)\b", r"--info-"],
    "dipvae": [r"\.dipvae\b", r"\bcase dipvae\b", r'"dipvae"', r"\bDIPVAE\b", r"\bDecorrelatedAutoencoder\b",
               r"\bDecorrelation\b", r"\bdecorrelation\b", r"--dip-"],
    "rae": [r"\.rae\b", r"\bcase rae\b", r'"rae"', r"\bRAE\b", r"\bRegularizedAutoencoder\b",
            r"\bembeddingWeight\b", r"\bdecoderL2\b", r"--embedding-weight", r"--decoder-l2"],
    "swae": [r"\.swae\b", r"\bcase swae\b", r'"swae"', r"\bSWAE\b", r"\bSlicedWassersteinAutoencoder\b",
             r"\bSlicedWasserstein\b", r"\.slicedWasserstein\b", r"--sw-"],
    "annealedvae": [r"\.annealedvae\b", r"\bcase annealedvae\b", r'"annealedvae"', r"\bAnnealedVAE\b",
                    r"\bAnnealedCapacityAutoencoder\b", r"\bCapacity\b", r"\b(config|c)\.capacity\b", r"--capacity"],
    "factorvae": [r"\.factorvae\b", r"\bcase factorvae\b", r'"factorvae"', r"\bFactor(VAE|Autoencoder)\b",
                  r"\bfactorGamma\b", r"--factor-gamma"],
    "aae": [r"\.aae\b", r"\bcase aae\b", r'"aae"', r"\bAdversarial(AE|Autoencoder)\b", r"\badversarialWeight\b",
            r"--adversarial-weight"],
    "categoricalvae": [r"\.categoricalvae\b", r"\bcase categoricalvae\b", r'"categoricalvae"',
                       r"\bCategorical(VAE|Autoencoder)\b", r"\bCategorical\(", r"\.categorical\b", r"--categories",
                       r"--temperature", r"--anneal-rate"],
    "raegp": [r"\.raegp\b", r"\bcase raegp\b", r'"raegp"', r"\bRAEGP\b", r"\bGradientPenaltyAutoencoder\b",
              r"\bgradientPenalty\b", r"--gradient-penalty"],
    "jointvae": [r"\.jointvae\b", r"\bcase jointvae\b", r'"jointvae"', r"\bJoint(VAE|Autoencoder|Code)\b",
                 r"\.joint\b", r"--discrete-capacity"],
    "msssimvae": [r"\.msssimvae\b", r"\bcase msssimvae\b", r'"msssimvae"', r"\bMSSSIM(VAE|Autoencoder)\b",
                  r"\bssim(Weight|Window)\b", r"--ssim-"],
    "svae": [r"\.svae\b", r"\bcase svae\b", r'"svae"', r"\bHyperspherical(VAE|Autoencoder)\b"],
    "poincarevae": [r"\.poincarevae\b", r"\bcase poincarevae\b", r'"poincarevae"', r"\bPoincare(VAE|Autoencoder)\b",
                    r"\bcurvature\b", r"--curvature"],
    "vaegan": [r"\.vaegan\b", r"\bcase vaegan\b", r'"vaegan"', r"\bVAEGAN(Autoencoder)?\b", r"\bfeatureLayer\b",
               r"\bgan(Equilibrium|Margin)\b", r"--feature-layer", r"--gan-"],
    "vqvae": [r"\.vqvae\b", r"\bcase vqvae\b", r'"vqvae"', r"\bVQVAE\b", r"\bVectorQuantiz(ation|er|edAutoencoder)\b",
              r"\bquantization\b", r"--codebook", r"--commitment"],
    "miwae": [r"\.miwae\b", r"\bcase miwae\b", r'"miwae"', r"\bMIWAE\b", r"\bimportanceGroups\b"],
    "ciwae": [r"\.ciwae\b", r"\bcase ciwae\b", r'"ciwae"', r"\bCIWAE\b", r"\belboWeight\b", r"--elbo-weight"],
    "vamp": [r"\.vamp\b", r"\bcase vamp\b", r'"vamp"', r"\bVAMP\b", r"\bVampPrior(Autoencoder)?\b",
             r"\bpseudoInputs\b", r"--pseudo-inputs"],
    "linnf": [r"\.linnf\b", r"\bcase linnf\b", r'"linnf"', r"\bLinearFlowVAE\b", r"\bPlanarFlow(Autoencoder)?\b",
              r"\b(config|c)\.flows\b", r"--flows"],
    "iwae2": [r"\.iwae2\b", r"\bcase iwae2\b", r'"iwae2"', r"\bTwoLayer(IWAE|Autoencoder)\b",
              r"\bupper(Hidden|Latent)\b", r"--upper-"],
    "mogvae": [r"\.mogvae\b", r"\bcase mogvae\b", r'"mogvae"', r"\bMoGVAE\b",
               r"\bGaussianMixturePriorAutoencoder\b", r"\bmixtureComponents\b", r"--mixture-components"],
    "iaf": [r"\.iaf\b", r"\bcase iaf\b", r'"iaf"', r"\bIAF(VAE|Autoencoder)\b", r"\bmade(Blocks|Layers|Width)\b",
            r"--made-"],
}
# The registry lists the kinds; the CLI's option list declares each kind's flags.
ALLOWED = {"Sources/LatentModels/Kinds/ModelKind.swift", "Sources/LatentCLI/KindOptions.swift"}
SUFFIXES = (".swift", ".json", ".js", ".html", ".c", ".h")


def code(text, suffix):
    """The text without comments (// and /* */ in Swift, C and JavaScript)."""
    if suffix in (".json", ".html"):
        return text
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = []
    for line in text.splitlines():
        # A // outside a string literal starts a comment (good enough for this tree: no "//" in strings that
        # matter here but URLs, which name no kind).
        stripped, quoted, i = [], False, 0
        while i < len(line):
            ch = line[i]
            if ch == '"' and (i == 0 or line[i - 1] != "\\"):
                quoted = not quoted
            if not quoted and line.startswith("//", i):
                break
            stripped.append(ch)
            i += 1
        lines.append("".join(stripped))
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    limit, show = 3, False
    if "--limit" in args:
        i = args.index("--limit")
        limit = int(args[i + 1])
        del args[i:i + 2]
    if "--list" in args:
        show = True
        args.remove("--list")
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..")
    files = {}
    for folder, _, names in os.walk(os.path.join(root, "Sources")):
        for name in names:
            if name.endswith(SUFFIXES):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    files[rel] = code(f.read(), os.path.splitext(name)[1])
    failed = []
    print(f"{'kind':<11} files  (limit {limit}; the registry and the CLI's option list not counted)")
    for kind, patterns in KINDS.items():
        regex = re.compile("|".join(patterns))
        naming = sorted(p for p, text in files.items() if p not in ALLOWED and regex.search(text))
        print(f"{kind:<11} {len(naming):>5}" + ("  " + " ".join(naming) if show else ""))
        if len(naming) > limit:
            failed.append(kind)
    if failed:
        print(f"kinds named in more than {limit} files: {', '.join(failed)} (run with --list to see them)")
        sys.exit(1)


if __name__ == "__main__":
    main()

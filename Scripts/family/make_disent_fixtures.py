"""Writes `disent`'s disentanglement metrics on fixed codes and factors (Tests/LatentTests/Fixtures/disent.safetensors),
which the Swift tests hold Latent's metrics to.

disent (PyPI `disent` 0.8.0) is installed without its dependencies (its training stack, lightning and torchvision,
is not needed for the metrics); numpy, scikit-learn and torch come from Scripts/family/requirements.txt. Run from the
repository root:

    bash Scripts/venv.sh Scripts/family/requirements.txt
    .venv/bin/pip install --no-deps disent==0.8.0
    .venv/bin/python Scripts/family/make_disent_fixtures.py

The data: a synthetic grid of 4 factors (3 × 6 × 10 × 8 values) repeated 12 times (17,280 examples), and 6 code
dimensions that are fixed noisy functions of the factors (some tied to one factor, some mixing two, one pure
noise). Stored: the codes (float32; disent computes on their float64 values), the factor indices, disent's MIG
(`_compute_mig`) and its mutual-information matrix (`discrete_mutual_info` of `histogram_discretize`), its SAP
score (`_compute_sap` with scikit-learn's LinearSVC, 10,000 training and 5,000 test rows, `sap_rows`), and its
FactorVAE score (`metric_factor_vae` on a dataset that draws the grid's examples) with the number of votes, for
a comparison within the score's sampling error; its DCI scores (`_compute_importance_gbt` with scikit-learn's
GradientBoostingClassifier on the SAP rows, seed 1) with the importance matrix, and their spread over three seeds.
"""
import importlib.util
import os
import sys
import types

import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "LatentTests", "Fixtures", "disent.safetensors")
SIZES = [3, 6, 10, 8]
REPEATS = 12


def load_disent_metrics():
    """disent's metric modules, without its package's imports of datasets (torchvision) and frameworks."""
    spec = importlib.util.find_spec("disent")
    root = os.path.dirname(spec.origin)
    dataset = types.ModuleType("disent.dataset")
    dataset.DisentDataset = object
    sys.modules["disent.dataset"] = dataset
    metrics = types.ModuleType("disent.metrics")
    metrics.__path__ = [os.path.join(root, "metrics")]
    sys.modules["disent.metrics"] = metrics
    import disent.metrics._dci as dci
    import disent.metrics._factor_vae as factor_vae
    import disent.metrics._mig as mig
    import disent.metrics._sap as sap
    import disent.metrics.utils as utils
    return mig, factor_vae, sap, utils, dci


class GridData:
    """The part of a DisentDataset disent's FactorVAE score uses: it draws factors uniformly and returns, as the
    observations, the indices of examples with those factors (one of the grid's repeats at random)."""

    def __init__(self, factors, rng):
        self.factors = factors
        self.rng = rng
        self.num_factors = len(SIZES)
        self.gt_data = self
        self.index = {}
        for i, row in enumerate(factors):
            self.index.setdefault(tuple(row), []).append(i)

    def sample_factors(self, n):
        return np.stack([self.rng.integers(0, s, size=n) for s in SIZES], axis=1)

    def dataset_batch_from_factors(self, factors, mode):
        return np.array([self.rng.choice(self.index[tuple(row)]) for row in factors])

    def dataset_sample_batch(self, n, mode):
        return self.rng.integers(0, len(self.factors), size=n)


def main():
    mig, factor_vae, sap, utils, dci = load_disent_metrics()
    rng = np.random.default_rng(20261207)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SIZES], indexing="ij"), axis=-1).reshape(-1, len(SIZES))
    factors = np.tile(grid, (REPEATS, 1))
    n = len(factors)
    u = factors / (np.array(SIZES) - 1)
    noise = rng.normal(size=(n, 6))
    codes = np.stack([
        2 * u[:, 0] + u[:, 1] + 0.3 * noise[:, 0],
        u[:, 1] + 0.5 * u[:, 2] + 0.3 * noise[:, 1],
        np.sin(3 * u[:, 2]) + 0.4 * noise[:, 2],
        u[:, 2] + u[:, 3] + 0.2 * noise[:, 3],
        0.5 * u[:, 3] + 0.3 * noise[:, 4],
        noise[:, 5],
    ], axis=1).astype(np.float32)
    mus = codes.astype(np.float64).T
    ys = factors.T
    score = mig._compute_mig(mus, ys)["mig.discrete_score"]
    information = utils.discrete_mutual_info(utils.histogram_discretize(mus, num_bins=20), ys)

    order = rng.permutation(n)
    train, test = order[:10000], order[10000:15000]
    sap_score = sap._compute_sap(mus[:, train], ys[:, train], mus[:, test], ys[:, test], continuous_factors=False)
    sap_score = sap_score["sap.score"]

    np.random.seed(7)
    data = GridData(factors, np.random.default_rng(8))
    representation = lambda indices: codes[np.asarray(indices)].astype(np.float64)  # noqa: E731
    fvae = factor_vae.metric_factor_vae(data, representation, batch_size=64, num_train=10000, num_eval=5000,
                                        num_variance_estimate=10000)
    # DCI: scikit-learn's GradientBoostingClassifier (random_state None: numpy's global generator orders the
    # features a tree's splitter visits, which decides between exactly equal splits), on the SAP score's rows;
    # three generator seeds give the score's own run-to-run spread.
    runs = []
    for seed in (1, 2, 3):
        np.random.seed(seed)
        importance, train_accuracy, test_accuracy = dci._compute_importance_gbt(
            mus[:, train], ys[:, train], mus[:, test], ys[:, test])
        runs.append((importance, dci._disentanglement(importance), dci._completeness(importance), train_accuracy,
                     test_accuracy))
    spread = max(abs(a[i] - b[i]) for a in runs for b in runs for i in (1, 2))
    print(f"DCI disentanglement {runs[0][1]:.6f}, completeness {runs[0][2]:.6f}, informativeness "
          f"{runs[0][3]:.4f} / {runs[0][4]:.4f}; spread over seeds {spread:.2e}")
    print(f"MIG {score:.6f}; SAP {sap_score:.6f}; FactorVAE train {fvae['factor_vae.train_accuracy']:.4f} "
          f"eval {fvae['factor_vae.eval_accuracy']:.4f}")
    save_file({
        "codes": codes,
        "factors": factors.astype(np.float32),
        "sizes": np.array(SIZES, dtype=np.float32),
        "mig": np.array([score], dtype=np.float32),
        "mutual_information": information.astype(np.float32),
        "sap": np.array([sap_score], dtype=np.float32),
        "sap_rows": order[:15000].astype(np.float32),
        "factor_vae_train": np.array([fvae["factor_vae.train_accuracy"]], dtype=np.float32),
        "factor_vae_eval": np.array([fvae["factor_vae.eval_accuracy"]], dtype=np.float32),
        "factor_vae_votes": np.array([10000, 5000], dtype=np.float32),
        "dci_importance": runs[0][0].astype(np.float32),
        "dci": np.array([runs[0][1], runs[0][2], runs[0][3], runs[0][4]], dtype=np.float32),
        "dci_spread": np.array([spread], dtype=np.float32),
    }, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

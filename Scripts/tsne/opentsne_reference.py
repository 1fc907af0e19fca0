"""openTSNE reference for `latent tsne`: embeds MNIST (PCA to 50 dims of the pixels in [0, 1]) with openTSNE's
defaults and writes the embedding with labels (.npy, label last) and the wall time.

    pip install openTSNE==1.0.4
    python3 Scripts/tsne/opentsne_reference.py --split test --method bh --threads 2 --out /tmp/otsne.npy
"""
import argparse, json, os, sys, time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../pytorch"))
from mnist import load  # noqa: E402  the same IDX reader as the PyTorch reference scripts


def mnist(directory, split):
    parts = ["train", "test"] if split == "all" else [split]
    loaded = [load(p, directory) if directory else load(p) for p in parts]
    return np.concatenate([x for x, _ in loaded]), np.concatenate([y for _, y in loaded])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=None, help="IDX directory (default: the MNIST bundled with Latent)")
    ap.add_argument("--split", default="test", choices=["train", "test", "all"])
    ap.add_argument("--method", default="bh", choices=["bh", "fft"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pca", type=int, default=50)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    from openTSNE import TSNE
    from sklearn.decomposition import PCA
    x, labels = mnist(a.data_dir, a.split)
    start = time.time()
    x50 = PCA(n_components=a.pca, random_state=0).fit_transform(x)
    emb = TSNE(negative_gradient_method=a.method, n_jobs=a.threads, random_state=0).fit(x50)
    seconds = time.time() - start
    np.save(a.out, np.concatenate([np.asarray(emb, dtype=np.float32), labels[:, None].astype(np.float32)], axis=1))
    print(json.dumps({"points": len(x), "method": a.method, "threads": a.threads, "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()

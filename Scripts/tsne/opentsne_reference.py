"""openTSNE reference for `latent tsne`: embeds MNIST (PCA to 50 dims of the pixels in [0, 1]) with openTSNE's
defaults and writes the embedding with labels (.npy, label last) and the wall time.

    pip install openTSNE==1.0.4
    python3 Scripts/tsne/opentsne_reference.py --split test --method bh --threads 2 --out /tmp/otsne.npy
"""
import argparse, gzip, json, os, struct, time

import numpy as np


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def mnist(directory, split):
    names = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    parts = ["train", "test"] if split == "all" else [split]
    x = np.concatenate([idx(os.path.join(directory, names[p][0])).reshape(-1, 784) for p in parts]).astype(np.float32) / 255
    y = np.concatenate([idx(os.path.join(directory, names[p][1])) for p in parts]).astype(np.int64)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(__file__), "../../Sources/LatentData/Resources/mnist"))
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

#!/usr/bin/env python3
"""Latent's models outside Latent (Scripts/test.sh runs this): `latent export --onnx` files checked by
onnx.checker and run by ONNX Runtime, and `python/latent_torch.load` in PyTorch, both against Latent's own outputs.

Trains one model of each kind and body for one epoch on small data sets written here (MNIST digits as an image
array, 16x16 RGB pictures, a table scaled with --scale standard and a Gaussian likelihood, whose mean is the
identity), then for each model:
- Latent's own outputs: `latent encode --split all` (codes or posterior means), `latent decode` of those codes
  (a table's rows in its own units: the others' outputs are unscaled by latent_torch's `unscale` to compare),
  `latent eval --json` (test_mse: squared error of the reconstruction; test_kl; a classifier's test loss);
- ONNX (every kind with an encoder and decoder): onnx.checker.check_model(full_check=True); ONNX Runtime's encoder
  outputs against the codes, its decoder's probabilities against `latent decode`, the KL of its posterior
  (mean, log_variance) on the test rows against test_kl;
- PyTorch: latent_torch.load(run) encodes and decodes to the same numbers, and its reconstruction's squared error
  on the test rows equals `latent eval`'s test_mse (a classifier: its test loss).
Codes compare to 1e-5 of their largest magnitude (at least 1), probabilities to 1e-5, eval figures to a relative
1e-5. Prints one JSON object with the largest differences; exits 1 on the first failure.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import latent_torch  # noqa: E402

MODELS = [  # name, data set, options
    ("vae", "digits", ["--model", "vae"]),
    ("ae", "digits", ["--model", "ae", "--hidden", "128,64", "--activation", "tanh"]),
    ("sae-l1", "digits", ["--model", "sae", "--l1", "0.001"]),
    ("sae-kl", "digits", ["--model", "sae", "--hidden", "64"]),
    ("dae", "digits", ["--model", "dae", "--noise", "gaussian:0.3", "--activation", "softplus"]),
    ("iwae", "digits", ["--model", "iwae", "--k", "3", "--activation", "leaky-relu"]),
    ("cvae", "digits", ["--model", "cvae"]),
    ("logcoshvae", "digits", ["--model", "logcoshvae", "--log-cosh-alpha", "5"]),
    ("msssimvae", "digits", ["--model", "msssimvae", "--ssim-window", "7"]),
    ("classifier", "digits", ["--model", "classifier"]),
    ("conv-vae", "digits", ["--model", "vae", "--arch", "conv", "--hidden", "64", "--conv-channels", "8,16"]),
    ("conv-cvae", "digits", ["--model", "cvae", "--arch", "conv", "--hidden", "64", "--conv-channels", "8,16"]),
    ("conv-ae", "digits", ["--model", "ae", "--arch", "conv", "--hidden", "64", "--conv-channels", "8,16"]),
    ("deepconv-vae", "digits", ["--model", "vae", "--arch", "deepconv", "--conv-channels", "8,16"]),
    ("deepconv-vae-rgb", "colour", ["--model", "vae", "--arch", "deepconv", "--conv-channels", "8,16,32"]),
    ("deepconv-cvae-rgb", "colour", ["--model", "cvae", "--arch", "deepconv", "--conv-channels", "8,16"]),
    ("deepconv-ae-rgb", "colour", ["--model", "ae", "--arch", "deepconv", "--conv-channels", "8,16", "--hidden",
                                   "32"]),
    ("table-vae", "table", ["--model", "vae", "--hidden", "32", "--latent", "4", "--scale", "standard",
                            "--likelihood", "gaussian"]),
    ("factorvae", "digits", ["--model", "factorvae", "--discriminator-width", "32"]),
    ("aae", "digits", ["--model", "aae"]),
    ("categoricalvae", "digits", ["--model", "categoricalvae", "--latent", "12", "--categories", "4"]),
    ("svae", "digits", ["--model", "svae", "--latent", "5"]),
    ("poincarevae", "digits", ["--model", "poincarevae", "--curvature", "0.7"]),
    ("vaegan", "digits", ["--model", "vaegan", "--feature-layer", "2"]),
]
worst = {"onnx_code": 0.0, "onnx_probabilities": 0.0, "onnx_kl_relative": 0.0, "torch_code": 0.0,
         "torch_probabilities": 0.0, "torch_test_mse_relative": 0.0}


def fail(message):
    print(f"check_interop: {message}", file=sys.stderr)
    sys.exit(1)


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def make_data(root, work):
    """The three data sets: an .npz each (x float32 rows or images, y labels)."""
    mnist = os.path.join(root, "Sources/LatentData/Resources/mnist")
    x = idx(f"{mnist}/train-images-idx3-ubyte.gz")[:1000].astype(np.float32) / 255
    y = idx(f"{mnist}/train-labels-idx1-ubyte.gz")[:1000].astype(np.int64)
    np.savez(f"{work}/digits.npz", x=x, y=y)
    rng = np.random.default_rng(1)
    grid = np.linspace(0, 1, 16, dtype=np.float32)
    freq = rng.uniform(0.5, 3, size=(600, 3, 2)).astype(np.float32)
    colour = 0.5 + 0.5 * np.sin(freq[:, None, None, :, 0] * 6 * grid[None, :, None, None]
                                 + freq[:, None, None, :, 1] * 6 * grid[None, None, :, None])
    # Latent keeps an image array's pixels as bytes: give it bytes' values, so both sides read the same numbers.
    colour = (np.round(colour * 255).astype(np.uint8).astype(np.float32) / np.float32(255)).astype(np.float32)
    np.savez(f"{work}/colour.npz", x=colour, y=rng.integers(0, 4, 600))
    table = rng.normal(size=(600, 12)).astype(np.float32) * np.arange(1, 13, dtype=np.float32) + 5
    np.savez(f"{work}/table.npz", x=table, y=rng.integers(0, 3, 600))


def latent(args, *command):
    result = subprocess.run([args.latent, *command], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"latent {' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


def difference(a, b, what, tolerance, relative_to_scale):
    if a.shape != b.shape:
        fail(f"{what}: shape {a.shape}, expected {b.shape}")
    scale = max(1.0, float(np.abs(b).max())) if relative_to_scale else 1.0
    d = float(np.abs(a.astype(np.float64) - b).max()) / scale
    if not d <= tolerance:
        fail(f"{what}: differs from Latent's by {d:.3g} (tolerance {tolerance})")
    return d


def relative(a, b, what):
    d = abs(a - b) / max(abs(b), 1e-12)
    if not d <= 1e-5:
        fail(f"{what}: {a} against Latent's {b} (relative difference {d:.3g})")
    return d


def kl_per_row(mean, log_variance):
    m, v = mean.astype(np.float64), log_variance.astype(np.float64)
    return -0.5 * np.sum(1 + v - m * m - np.exp(v), axis=1)


def check_onnx(run, work, name, x, y, codes, decoded, metrics, variational, conditional, unscale):
    out = f"{work}/{name}-onnx"
    latent_json = json.loads(latent(ARGS, "export", run, "--onnx", out, "--json"))
    if latent_json["opset"] < 13:
        fail(f"{name}: opset {latent_json['opset']}")
    sessions = {}
    for part in ["encoder", "decoder"]:
        model = onnx.load(f"{out}/{part}.onnx")
        onnx.checker.check_model(model, full_check=True)
        meta = {p.key: p.value for p in model.metadata_props}
        kind = latent_json["kind"]
        if json.loads(meta["latent.config"])["kind"] != kind or meta["latent.kind"] != kind:
            fail(f"{name}: {part}.onnx's metadata does not name the kind {latent_json['kind']}: {meta}")
        sessions[part] = onnxruntime.InferenceSession(f"{out}/{part}.onnx", providers=["CPUExecutionProvider"])
        if part == "decoder":
            # A Gaussian on a standardised table has the identity as its mean; every other model a sigmoid.
            identity = json.loads(meta["latent.config"]).get("outputMean") == "identity"
            if identity != (name == "table-vae") or model.graph.node[-1].op_type != ("Identity" if identity
                                                                                       else "Sigmoid"):
                fail(f"{name}: decoder ends in {model.graph.node[-1].op_type} (outputMean identity: {identity})")
    feed = {"x": x}
    if conditional:
        feed["label"] = y
    outputs = sessions["encoder"].run(None, feed)
    names = [o.name for o in sessions["encoder"].get_outputs()]
    # The hyperspherical VAE's encoder gives its vMF posterior, the Poincaré VAE's its wrapped normal's centre.
    expected_names = {"svae": ["direction", "concentration"], "poincarevae": ["centre", "log_variance"]}.get(
        latent_json["kind"], ["mean", "log_variance"] if variational else ["code"])
    if names != expected_names:
        fail(f"{name}: encoder outputs {names}, expected {expected_names}")
    worst["onnx_code"] = max(worst["onnx_code"], difference(outputs[0], codes, f"{name} ONNX {names[0]}", 1e-5, True))
    # An IWAE's test terms are its bound's, without a KL; a FactorVAE's test KL is its loss's estimate from the half
    # of each batch the VAE trains on (the paper's split), not every row's.
    # A Poincaré VAE's test KL is a one-sample estimate of its wrapped normals'.
    if variational and "test_kl" in metrics and metrics.get("kind") not in ("factorvae", "poincarevae"):
        test = np.arange(len(x)) % 10 == 9
        kl = kl_per_row(outputs[0][test], outputs[1][test]).mean()
        worst["onnx_kl_relative"] = max(worst["onnx_kl_relative"],
                                        relative(kl, metrics["test_kl"], f"{name} ONNX KL on the test rows"))
    feed = {"code": codes}
    if conditional:
        feed["label"] = y
    probabilities = unscale(sessions["decoder"].run(None, feed)[0])
    worst["onnx_probabilities"] = max(worst["onnx_probabilities"],
                                      difference(probabilities, decoded, f"{name} ONNX probabilities", 1e-5, False))


def check_torch(run, name, x, y, codes, decoded, metrics):
    model = latent_torch.load(run)
    labels = torch.from_numpy(y) if model.kind == "cvae" else None
    with torch.no_grad():
        xt = torch.from_numpy(x)
        if model.kind == "classifier":
            test = np.arange(len(x)) % 10 == 9
            loss = torch.nn.functional.cross_entropy(model(xt[test]), torch.from_numpy(y[test]), reduction="sum")
            relative(loss.item() / test.sum(), metrics["test_loss"], f"{name} torch test loss")
            return
        code = model.encode(xt, labels)
        code = code[0] if model.variational else code
        d = difference(code.numpy(), codes, f"{name} torch code", 1e-5, True)
        worst["torch_code"] = max(worst["torch_code"], d)
        out = model.unscale(model.decode(torch.from_numpy(codes), labels)).numpy()
        worst["torch_probabilities"] = max(worst["torch_probabilities"],
                                           difference(out, decoded, f"{name} torch probabilities", 1e-5, False))
        test = np.arange(len(x)) % 10 == 9
        recon = model.reconstruct(xt[test], labels[test] if labels is not None else None).double()
        mse = ((recon - xt[test].double()) ** 2).sum(dim=1).mean().item()
        worst["torch_test_mse_relative"] = max(worst["torch_test_mse_relative"],
                                               relative(mse, metrics["test_mse"], f"{name} torch test_mse"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    global ARGS
    ARGS = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as work:
        make_data(root, work)
        for name, data, options in MODELS:
            run, source = f"{work}/{name}", f"{work}/{data}.npz"
            latent(ARGS, "train", "--data", source, "--epochs", "1", "--batch-size", "64", "--seed", "2", "--out", run,
                   "--no-progress", *options)
            metrics = json.loads(latent(ARGS, "eval", run, "--data", source, "--json"))
            with np.load(source) as f:
                x, y = f["x"].reshape(len(f["x"]), -1).astype(np.float32), f["y"].astype(np.int64)
            model = latent_torch.load(run)
            if model.kind == "classifier":
                check_torch(run, name, x, y, None, None, metrics)
                continue
            x = model.scale(torch.from_numpy(x)).numpy().astype(np.float32)
            latent(ARGS, "encode", run, "--data", source, "--split", "all", "--out", f"{work}/{name}-codes.npy")
            codes = np.load(f"{work}/{name}-codes.npy")
            latent(ARGS, "decode", run, f"{work}/{name}-codes.npy", "--out", f"{work}/{name}-decoded.npy")
            decoded = np.load(f"{work}/{name}-decoded.npy")
            codes = np.ascontiguousarray(codes[:, :-1])
            # `latent decode` writes a table's rows in its own units: the scaled outputs, unscaled.
            unscale = lambda a: model.unscale(torch.from_numpy(a)).numpy()  # noqa: E731
            check_onnx(run, work, name, x, y, codes, decoded, metrics, model.variational, model.kind == "cvae",
                       unscale)
            check_torch(run, name, x, y, codes, decoded, metrics)
    print(json.dumps({"models": len(MODELS), "largest_differences": {k: float(f"{v:.3g}") for k, v in worst.items()}}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The second trust review's CLI cases and variants of each, run as a hostile user would (issue 35).

Each case runs `latent` with a time bound and is classified: crash (ended by a signal), hang (time bound hit),
silent wrong answer (exit 0 where a refusal or another result was due), loss of the user's data (a file the user
had changed or gone), unclear message (refused, but not with one `latent:` line naming what the case needs), or
clean. MPI disagreements, saves under faults, Ctrl-C while decoding and the picture corpus have their own checks
(Scripts/mpi/check_mpi_hostile.py, Scripts/reliability/check_saves.py, check_decoding.py, PictureCorpusTests).
Run by Scripts/test.sh (about 10 s); prints the counts per kind and each case's outcome, exits 1 unless all are
clean.
  python3 Scripts/reliability/hostile_round_two.py [--latent .build/release/latent]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PICTURES = os.path.join(HERE, "../../Tests/LatentTests/Fixtures/pictures")
IMAGES = os.path.join(HERE, "../../Tests/LatentTests/Fixtures/images")
SMALL = ["--epochs", "1", "--limit", "256", "--hidden", "16", "--latent", "2", "--no-progress"]


def digest(paths):
    """Content hashes of the user's files, to see that nothing of theirs changed."""
    out = {}
    for path in paths:
        out[path] = hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else None
    return out


class Runner:
    def __init__(self, latent, work):
        self.latent, self.work, self.results = latent, work, []

    def case(self, name, args, expect, mention=None, keep=(), env=None, timeout=120, check=None):
        """expect: 'refused' (exit 1 or 64, one latent: line containing `mention`) or 'ok' (exit 0, and `check`
        on the output if given). `keep`: the user's files that must be unchanged afterwards."""
        before = digest(keep)
        environment = dict(os.environ, XDG_CACHE_HOME=f"{self.work}/cache", **(env or {}))
        try:
            result = subprocess.run([self.latent, *args], capture_output=True, text=True, timeout=timeout,
                                    env=environment)
        except subprocess.TimeoutExpired:
            self.results.append((name, "hang", f"still running after {timeout} s"))
            return
        output = result.stdout + result.stderr
        lines = [line for line in result.stderr.splitlines() if line.startswith("latent:")]
        if result.returncode < 0:
            kind, detail = "crash", f"signal {-result.returncode}"
        elif digest(keep) != before:
            kind, detail = "loss", "a file of the user's changed"
        elif expect == "refused" and result.returncode == 0:
            kind, detail = "silent wrong answer", "exit 0 where a refusal was due"
        elif expect == "refused" and (result.returncode not in (1, 64) or len(lines) != 1
                                      or (mention and mention not in lines[0])):
            kind, detail = "unclear message", f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
        elif expect == "ok" and result.returncode != 0:
            kind, detail = "unclear message", f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
        elif expect == "ok" and check and not check(output):
            kind, detail = "silent wrong answer", output.strip()[-300:]
        else:
            kind, detail = "clean", (lines[0] if lines else output.strip().splitlines()[-1] if output.strip() else "")
        self.results.append((name, kind, detail))


def picture_folder(root, layout):
    for path, source in layout:
        os.makedirs(os.path.dirname(f"{root}/{path}"), exist_ok=True)
        shutil.copy(source, f"{root}/{path}")
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    latent = parser.parse_args().latent
    with tempfile.TemporaryDirectory() as work:
        r = Runner(latent, work)
        rgb, rgba = f"{PICTURES}/rgb8.png", f"{PICTURES}/rgba8.png"
        classes = picture_folder(f"{work}/classes", [(f"{c}/{i}.png", rgb if c == "cats" else rgba)
                                                     for c in ("cats", "dogs") for i in range(6)])
        # The decoded-picture cache and its size setting.
        for value in ["9999999999999", "-1", "abc", "1.5", "", "1048577", "99999999999999999999"]:
            r.case(f"LATENT_IMAGE_CACHE_MB={value!r}", ["train", "--data", classes, "--out", f"{work}/c", *SMALL,
                                                        "--force"],
                   "ok" if value == "" else "refused", "LATENT_IMAGE_CACHE_MB", env={"LATENT_IMAGE_CACHE_MB": value})
        r.case("LATENT_IMAGE_CACHE_MB=0 (no cache kept)", ["train", "--data", classes, "--out", f"{work}/c0", *SMALL],
               "ok", env={"LATENT_IMAGE_CACHE_MB": "0"})
        stores = f"{work}/cache/latent/images"
        r.case("a store to damage", ["train", "--data", classes, "--out", f"{work}/s0", *SMALL], "ok")
        names = [n for n in os.listdir(stores) if n.endswith(".limg")] if os.path.isdir(stores) else []
        for damage in ["flip a pixel", "swap two names", "rename a class", "truncate", "width 2^62", "empty"]:
            if not names:
                break
            path = f"{stores}/{names[0]}"
            original = open(path, "rb").read()
            data = bytearray(original)
            if damage == "flip a pixel":
                data[-3] ^= 0xFF
            elif damage == "swap two names":
                data = data.replace(b"cats\\/0.png", b"cats\\/X.png").replace(b"cats\\/1.png", b"cats\\/0.png") \
                    .replace(b"cats\\/X.png", b"cats\\/1.png")
            elif damage == "rename a class":
                data = data.replace(b'"cats","dogs"', b'"dogs","cats"')
            elif damage == "truncate":
                data = data[:len(data) // 2]
            elif damage == "width 2^62":
                data = data.replace(b'"width":23', b'"width":4611686018427387904')
            else:
                data = bytearray()
            open(path, "wb").write(bytes(data))
            r.case(f"cache store: {damage}", ["eval", f"{work}/s0", "--json"], "ok",
                   check=lambda out: '"test_loss"' in out and "decoding again" in out)
            open(path, "wb").write(original)
        # The user's files.
        for files in [["samples.png"], ["metrics.jsonl"], ["samples.png", "metrics.jsonl"],
                      ["model.safetensors"], ["samples.png", "metrics.jsonl", "curves.png", "model.safetensors"],
                      [".latent.lock.txt"]]:
            folder = f"{work}/user-{len(r.results)}"
            os.makedirs(folder)
            for name in files:
                open(f"{folder}/{name}", "w").write("mine\n")
            r.case(f"--out holding the user's {', '.join(files)}", ["train", "--out", folder, *SMALL], "refused",
                   "is not a Latent run", keep=[f"{folder}/{n}" for n in files])
        r.case("a run for export", ["train", "--out", f"{work}/run", *SMALL], "ok")
        for files in [["encoder.onnx"], ["decoder.onnx"], ["encoder.onnx", "decoder.onnx"]]:
            folder = f"{work}/onnx-{len(r.results)}"
            os.makedirs(folder)
            for name in files:
                open(f"{folder}/{name}", "w").write("mine\n")
            r.case(f"export over the user's {', '.join(files)}", ["export", f"{work}/run", "--onnx", folder],
                   "refused", "was not written by latent export", keep=[f"{folder}/{n}" for n in files])
        folder = f"{work}/onnx-dir"
        os.makedirs(f"{folder}/decoder.onnx")
        r.case("export where decoder.onnx is a folder", ["export", f"{work}/run", "--onnx", folder, "--force"],
               "refused", "decoder.onnx is a folder")
        r.case("export leaves no half pair", ["export", f"{work}/run", "--onnx", folder, "--force"], "refused",
               "decoder.onnx is a folder", keep=[f"{folder}/encoder.onnx"])
        # Links, names, arrays.
        os.symlink(classes, f"{work}/linked")
        r.case("a linked --data", ["train", "--data", f"{work}/linked", "--out", f"{work}/l1", *SMALL], "ok",
               check=lambda out: "12 23x17x3" in out or "(10 23x17x3" in out or "23x17x3 images" in out)
        links = f"{work}/links"
        os.makedirs(links)
        os.symlink(f"{classes}/cats", f"{links}/cats")
        os.symlink(f"{classes}/dogs", f"{links}/dogs")
        os.symlink(links, f"{links}/loop")
        os.symlink(f"{work}/nowhere", f"{links}/dangling")
        r.case("class folders as links, a loop, a dangling link", ["train", "--data", links, "--out",
                                                                   f"{work}/l2", *SMALL, "--model", "cvae"], "ok",
               check=lambda out: "followed 2 link(s)" in out and "point nowhere" in out)
        bad = f"{work}/badnames"
        picture_folder(bad, [(f"{c}/{i}.png", rgb) for c in ("cats", "dogs") for i in range(6)])
        shutil.copy(rgb, os.path.join(bad.encode(), b"cats/\xff\xfe.png"))
        r.case("a name that is not UTF-8", ["train", "--data", bad, "--out", f"{work}/l3", *SMALL], "ok",
               check=lambda out: "not UTF-8" in out)
        x = (np.arange(60 * 8 * 8) % 16 / 10).reshape(60, 8, 8).astype(np.float32)
        for name, array, expect, mention in [
            ("float pictures 0..1.5", x, "refused", "float pictures must hold 0"),
            ("float pictures 0..255", (x * 170).astype(np.float32), "refused", "float pictures must hold 0"),
            ("uint16 pictures 0..300", (x * 200).astype(np.uint16), "refused", "integer pictures must hold 0"),
            ("float pictures 0..1", (x / 1.5).astype(np.float32), "ok", None),
        ]:
            path = f"{work}/{name.replace(' ', '_')}.npy"
            np.save(path, array)
            r.case(name, ["train", "--data", path, "--out", f"{work}/a-{len(r.results)}", *SMALL], expect, mention)
        labels = np.arange(60) % 3
        for name, y, expect, mention in [
            ("one-hot y", np.eye(3)[labels], "ok", None),
            ("two-hot y", np.eye(3)[labels] + np.eye(3)[(labels + 1) % 3], "refused", "is not one-hot"),
            ("y of 59 rows", labels[:59], "refused", "labels for 60 rows"),
            ("y of 3 columns of class numbers", np.stack([labels] * 3, 1), "refused", "is not one-hot"),
        ]:
            path = f"{work}/{name.replace(' ', '_')}.npz"
            np.savez(path, x=(x / 1.5).astype(np.float32), y=y)
            r.case(name, ["train", "--data", path, "--model", "cvae", "--out", f"{work}/y-{len(r.results)}",
                          *SMALL], expect, mention)
        split = picture_folder(f"{work}/split", [(f"train/{c}/{i}.png", rgb) for c in ("cats", "dogs")
                                                  for i in range(4)] + [("test/cats/0.png", rgb),
                                                                        ("test/birds/0.png", rgba)])
        r.case("a test folder class with no training pictures", ["train", "--data", split, "--out",
                                                                 f"{work}/u", *SMALL], "refused",
               "has classes with no training pictures: birds")
        train = f"{work}/train.csv"
        test = f"{work}/test.csv"
        open(train, "w").write("a,b\n" + "".join(f"{i % 10 / 10},{i % 7 / 7}\n" for i in range(100)))
        open(test, "w").write("a,b\n" + "".join(f"{i / 10},{0.5}\n" for i in range(20)))
        r.case("Bernoulli train with --test-data outside [0, 1]",
               ["train", "--data", train, "--test-data", test, "--likelihood", "bernoulli", "--out", f"{work}/b",
                *SMALL], "refused", "Bernoulli likelihood needs data in [0, 1]")
        # Sizes and cheap checks.
        mixed = picture_folder(f"{work}/mixed", [(f"{i}.png", rgb) for i in range(12)]
                               + [("0000-stray.png", f"{IMAGES}/one.png")])
        r.case("a stray 1x1 picture first in a folder", ["train", "--data", mixed, "--out", f"{work}/m", *SMALL],
               "ok", check=lambda out: "most common, 23x17 (12 of 13)" in out)
        for size in ["4096", "100000", "0", "-3", "64x", "x64", "1e9"]:
            r.case(f"--image-size {size}", ["train", "--data", classes, "--image-size", size, "--out",
                                            f"{work}/z", *SMALL, "--force"], "refused", "--image-size")
        # Messages that sent the user the wrong way.
        moved = picture_folder(f"{work}/moving", [(f"{c}/{i}.png", rgb) for c in ("a", "b") for i in range(6)])
        r.case("a run on a folder", ["train", "--data", moved, "--out", f"{work}/mv", *SMALL], "ok")
        shutil.move(moved, f"{work}/moved")
        r.case("eval after the folder moved", ["eval", f"{work}/mv"], "refused", "which is no longer there")
        flat = picture_folder(f"{work}/flat", [(f"{i}.png", rgb) for i in range(12)])
        r.case("a CVAE on unlabelled pictures", ["train", "--data", flat, "--model", "cvae", "--out", f"{work}/cv",
                                                 *SMALL], "refused", "class folders")
        r.case("latent pca --limit 2000", ["pca", "--limit", "2000"], "refused", "Unknown option '--limit'")
        r.case("latent tsne --limit 2000 --out x.png", ["tsne", "--limit", "2000", "--out", f"{work}/x.png"],
               "refused", "Unknown option '--limit'")
    counts = {}
    for _, kind, _ in r.results:
        counts[kind] = counts.get(kind, 0) + 1
    print(json.dumps({"cases": len(r.results), "counts": counts,
                      "not clean": [{"case": n, "kind": k, "detail": d} for n, k, d in r.results if k != "clean"],
                      "clean": [{"case": n, "line": d} for n, k, d in r.results if k == "clean"]}, indent=1))
    return 0 if set(counts) == {"clean"} else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The picture corpus and Pillow's pixels for it: Tests/LatentTests/Fixtures/pictures/ (ImageDecoderTests).

PNGs of every colour type and bit depth (1, 2, 4, 8 and 16-bit grey, RGB, palette, grey + alpha, RGBA), with and
without a gAMA chunk, interlaced and not, with tRNS, written by pypng; JPEGs (baseline 4:2:0 and 4:4:4,
progressive, grey, Adobe CMYK) written by Pillow. reference.json holds, for every file, what Pillow reads:
  rgb   Image.open(f) composited on white (Image.alpha_composite over an opaque white picture) then .convert("RGB")
  grey  that RGB picture .convert("L") (ITU-R 601-2 luma), or the file's own grey when it is grey
16-bit samples are their high byte (what Pillow gives for 16-bit RGB and RGBA; for 16-bit grey, which Pillow opens
as "I;16", the array's values >> 8; Pillow would clip them at 255 in .convert("L")). No gamma is applied anywhere.
Run with the pinned tools: bash Scripts/venv.sh --dir .venv-pictures Scripts/pictures/requirements.txt &&
  .venv-pictures/bin/python Scripts/pictures/make_corpus.py
"""
import base64
import json
import os

import numpy as np
import png
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "../../Tests/LatentTests/Fixtures/pictures")
W, H = 23, 17  # odd sizes: every Adam7 pass is partial


def pattern(channels, depth, seed):
    """Rows of samples covering the range, with low bytes that differ from the high bytes (16-bit)."""
    rng = np.random.default_rng(seed)
    top = (1 << depth) - 1
    y, x = np.mgrid[0:H, 0:W]
    planes = []
    for c in range(channels):
        ramp = (x * (c + 1) * 7 + y * 13 + c * 50) % (W + H)
        values = ramp * top // (W + H - 1)
        noise = rng.integers(0, top + 1, size=(H, W))
        planes.append(np.where((x + y + c) % 5 == 0, noise, values))
    return np.stack(planes, axis=-1).astype(np.uint32)


def alpha_plane(depth, seed):
    rng = np.random.default_rng(seed)
    top = (1 << depth) - 1
    a = rng.integers(0, top + 1, size=(H, W))
    a[:, :3], a[:, -3:] = 0, top  # fully transparent and fully opaque columns
    return a.astype(np.uint32)


def write_png(name, samples, **options):
    rows = samples.reshape(H, -1).tolist()
    with open(os.path.join(OUT, name), "wb") as f:
        png.Writer(W, H, **options).write(f, rows)


def pngs():
    for depth in (1, 2, 4, 8, 16):
        write_png(f"grey{depth}.png", pattern(1, depth, depth), greyscale=True, bitdepth=depth)
    write_png("grey8-interlaced.png", pattern(1, 8, 3), greyscale=True, bitdepth=8, interlace=True)
    write_png("grey16-gamma1.png", pattern(1, 16, 4), greyscale=True, bitdepth=16, gamma=1.0)
    write_png("grey16-interlaced.png", pattern(1, 16, 5), greyscale=True, bitdepth=16, interlace=True)
    write_png("grey8-trns.png", pattern(1, 8, 6), greyscale=True, bitdepth=8, transparent=(0,))
    write_png("rgb8.png", pattern(3, 8, 7), greyscale=False, bitdepth=8)
    write_png("rgb8-gamma045.png", pattern(3, 8, 8), greyscale=False, bitdepth=8, gamma=0.45455)
    write_png("rgb8-interlaced.png", pattern(3, 8, 9), greyscale=False, bitdepth=8, interlace=True)
    write_png("rgb8-trns.png", pattern(3, 8, 10), greyscale=False, bitdepth=8, transparent=(0, 0, 0))
    write_png("rgb16.png", pattern(3, 16, 11), greyscale=False, bitdepth=16)
    write_png("rgb16-gamma1.png", pattern(3, 16, 12), greyscale=False, bitdepth=16, gamma=1.0)
    write_png("rgb16-interlaced.png", pattern(3, 16, 13), greyscale=False, bitdepth=16, interlace=True)
    for depth in (8, 16):
        la = np.concatenate([pattern(1, depth, 14), alpha_plane(depth, 15)[..., None]], axis=-1)
        write_png(f"la{depth}.png", la, greyscale=True, alpha=True, bitdepth=depth)
        rgba = np.concatenate([pattern(3, depth, 16), alpha_plane(depth, 17)[..., None]], axis=-1)
        write_png(f"rgba{depth}.png", rgba, greyscale=False, alpha=True, bitdepth=depth)
        write_png(f"rgba{depth}-interlaced.png", rgba, greyscale=False, alpha=True, bitdepth=depth, interlace=True)
    rng = np.random.default_rng(18)
    colours = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(16)]
    indices = pattern(1, 4, 19)
    write_png("palette8.png", indices, palette=colours, bitdepth=8)
    write_png("palette4.png", indices, palette=colours, bitdepth=4)
    alphas = [(*c, int(a)) for c, a in zip(colours, rng.integers(0, 256, 16))]
    write_png("palette8-trns.png", indices, palette=alphas, bitdepth=8)


def jpegs():
    rgb = Image.fromarray(pattern(3, 8, 20).astype(np.uint8), "RGB")
    rgb.save(os.path.join(OUT, "baseline420.jpg"), quality=90, subsampling=2)
    rgb.save(os.path.join(OUT, "baseline444.jpg"), quality=90, subsampling=0)
    rgb.save(os.path.join(OUT, "progressive.jpg"), quality=85, progressive=True)
    rgb.convert("L").save(os.path.join(OUT, "grey.jpg"), quality=90)
    rgb.convert("CMYK").save(os.path.join(OUT, "cmyk.jpg"), quality=90)


def reference(path):
    """What Pillow reads from `path`, as RGB and as grey (see the docstring)."""
    image = Image.open(path)
    image.load()
    if image.mode in ("I;16", "I;16B", "I"):
        grey = (np.array(image).astype(np.uint32) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1), grey
    if image.mode in ("L", "1") and "transparency" not in image.info:
        grey = np.array(image.convert("L"))
        return np.repeat(grey[..., None], 3, axis=-1), grey
    if image.mode == "CMYK" or (image.mode in ("RGB",) and "transparency" not in image.info):
        rgb = image.convert("RGB")
    else:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return np.array(rgb), np.array(rgb.convert("L"))


def main():
    os.makedirs(OUT, exist_ok=True)
    pngs()
    jpegs()
    table = {}
    for name in sorted(os.listdir(OUT)):
        if name.endswith((".png", ".jpg")):
            rgb, grey = reference(os.path.join(OUT, name))
            assert rgb.shape == (H, W, 3) and grey.shape == (H, W), name
            table[name] = {"mode": Image.open(os.path.join(OUT, name)).mode, "width": W, "height": H,
                           "rgb": base64.b64encode(rgb.tobytes()).decode(),
                           "grey": base64.b64encode(grey.tobytes()).decode()}
    import PIL
    record = {"generator": "Scripts/pictures/make_corpus.py", "pillow": PIL.__version__, "pypng": png.__version__,
              "pictures": table}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(table)} pictures in {OUT}")


if __name__ == "__main__":
    main()

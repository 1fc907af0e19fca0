#!/usr/bin/env python3
"""Turns Google's Noto Color Emoji (Debian: fonts-noto-color-emoji) into a folder of 64x64 RGB PNGs.

The font keeps every emoji as a PNG bitmap (136x128, RGBA) in its CBDT table; fontTools reads the table,
Pillow composites each bitmap on white and scales it to 64x64 (area filter). Emoji are sorted into class
folders by the Unicode block of their first code point (emoticons, pictographs, transport, ...), so labelled
verbs (plot coloured by class, cvae, semisup) have classes to use.

    pip install -r Scripts/emoji/requirements.txt
    python3 Scripts/emoji/make_emoji.py OUT_DIR [--size 64]
"""
import argparse
import io
import os
import shutil
import sys

try:
    from fontTools.ttLib import TTFont
    from PIL import Image
except ImportError as error:
    sys.exit(f"make_emoji: {error.name} is missing: pip install -r Scripts/emoji/requirements.txt")

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"

# (first, last, class) by Unicode block of the emoji's first code point.
BLOCKS = [
    (0x1F600, 0x1F64F, "emoticons"),
    (0x1F680, 0x1F6FF, "transport"),
    (0x1F300, 0x1F5FF, "pictographs"),
    (0x1F900, 0x1FAFF, "supplemental"),
    (0x1F1E6, 0x1F1FF, "flags"),
    (0x2000, 0x2BFF, "symbols"),
]


def block(codepoint):
    for first, last, name in BLOCKS:
        if first <= codepoint <= last:
            return name
    return "other"


def glyph_codepoints(font):
    """glyph name -> first code point: from the cmap, then through GSUB ligatures (flags, ZWJ sequences)."""
    first = {}
    for cp, name in font.getBestCmap().items():
        first.setdefault(name, cp)
    if "GSUB" in font:
        for lookup in font["GSUB"].table.LookupList.Lookup:
            for sub in lookup.SubTable:
                for start, ligatures in getattr(sub, "ligatures", {}).items():
                    for lig in ligatures:
                        if start in first:
                            first.setdefault(lig.LigGlyph, first[start])
    return first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    if not os.path.exists(FONT):
        sys.exit(f"{FONT} is missing: apt-get install fonts-noto-color-emoji")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        sys.exit(f"make_emoji: {args.out} exists and is not an empty folder; give a new or empty one")
    # Written under a temporary name and renamed when complete, so that an interrupted run leaves no half folder
    # that a later run would take for the whole set.
    partial = args.out.rstrip("/") + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    font = TTFont(FONT)
    codepoints = glyph_codepoints(font)
    strikes = font["CBDT"].strikeData
    written = 0
    for strike in strikes:
        for name, glyph in sorted(strike.items()):
            if name not in codepoints:
                continue  # glyphs that are only parts of sequences
            glyph.decompile()
            image = Image.open(io.BytesIO(glyph.imageData)).convert("RGBA")
            canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
            canvas.alpha_composite(image)
            side = max(image.size)  # pad to a square, centred, before scaling
            square = Image.new("RGB", (side, side), (255, 255, 255))
            square.paste(canvas.convert("RGB"), ((side - image.size[0]) // 2, (side - image.size[1]) // 2))
            small = square.resize((args.size, args.size), Image.Resampling.BOX)
            folder = os.path.join(partial, block(codepoints[name]))
            os.makedirs(folder, exist_ok=True)
            small.save(os.path.join(folder, f"{name}.png"), optimize=True)
            written += 1
        break  # one strike (the font has one)
    os.rename(partial, args.out)
    print(f"wrote {written} emoji of {args.size}x{args.size} to {args.out}")


if __name__ == "__main__":
    main()

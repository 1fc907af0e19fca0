#!/usr/bin/env python3
"""Counts how often `latent train --data FOLDER` opens each picture of a folder of 4,000 PNGs (strace -f -e
trace=openat), with the decoded-picture cache cold and then warm. Issue 36: each file is opened once per command.
Usage: folder_reads.py [LATENT_BINARY]   (standard library; needs strace)
"""
import collections
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def png(path, side, value):
    """A grey side x side PNG of one value (stdlib zlib)."""
    raw = b"".join(b"\x00" + bytes([value]) * side for _ in range(side))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    latent = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/latent")
    work = tempfile.mkdtemp(prefix="latent-reads-")
    try:
        folder = os.path.join(work, "pictures")
        for c in range(2):
            os.makedirs(os.path.join(folder, f"class{c}"))
            for i in range(2000):
                png(os.path.join(folder, f"class{c}", f"{i:04d}.png"), 16, (i * 7 + c * 90) % 256)
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        failed, lines = False, []
        for run in ("cold cache", "warm cache"):
            trace = os.path.join(work, "trace")
            out = os.path.join(work, "run-" + run.split()[0])
            subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace, latent, "train", "--data", folder,
                            "--epochs", "1", "--hidden", "32", "--latent", "2", "--out", out, "--no-progress"],
                           env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            opens = collections.Counter()
            for line in open(trace):
                m = re.search(r'openat\([^,]+, "([^"]+\.png)"', line)
                if m and m.group(1).startswith(folder):
                    opens[m.group(1)] += 1
            per_file = collections.Counter(opens.values())
            lines.append(f"{run}: {len(opens)} of 4000 pictures opened, "
                         + ", ".join(f"{v} of them {k}x" for k, v in sorted(per_file.items())))
            failed = failed or len(opens) != 4000 or set(opens.values()) != {1}
    finally:
        shutil.rmtree(work)
    print("; ".join(lines))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

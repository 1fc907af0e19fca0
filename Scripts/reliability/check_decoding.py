#!/usr/bin/env python3
"""Cheap checks before expensive work, and a Ctrl-C that is heard while pictures decode (Scripts/test.sh).

  huge     ten 8192x8192 PNGs (all-black, 200 KB each): `latent train --data DIR` is refused from the pictures'
           headers, naming --image-size, before any picture is decoded: no cache written, little memory.
  4096     `--image-size 4096` on a folder of small pictures: refused the same way, at once.
  ctrl-c   SIGINT while the ten big PNGs decode at --image-size 64: exit 130 within a second, one line, nothing
           cached.
Prints one JSON object of figures; exits 1 on the first failure.
"""
import argparse
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def fail(message):
    print(f"check_decoding: {message}", file=sys.stderr)
    sys.exit(1)


def png(width, height):
    """An all-black RGB PNG, compressed (zlib level 9): a few hundred KB whatever its size."""
    row = b"\x00" + bytes(width * 3)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", default=os.path.abspath(".build/release/latent"))
    latent = parser.parse_args().latent
    figures = {}
    with tempfile.TemporaryDirectory() as work:
        big, small, cache = f"{work}/big", f"{work}/small", f"{work}/cache"
        os.makedirs(big)
        os.makedirs(small)
        picture = png(8192, 8192)
        for i in range(10):
            open(f"{big}/{i}.png", "wb").write(picture)
        for i in range(20):
            open(f"{small}/{i}.png", "wb").write(png(16, 16))
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        train = [latent, "train", "--epochs", "1", "--out", f"{work}/run", "--force", "--no-progress"]
        for case, extra in {"huge": ["--data", big], "4096": ["--data", small, "--image-size", "4096"]}.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.time()
            result = subprocess.run(train + extra, capture_output=True, text=True, env=env, timeout=120)
            seconds = time.time() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            lines = [line for line in result.stderr.splitlines() if line.startswith("latent:")]
            if result.returncode != 64 or len(lines) != 1 or not lines[0].startswith("latent: --image-size:"):
                fail(f"{case}: exit {result.returncode}, expected one --image-size line:\n{result.stderr[-1500:]}")
            if os.path.exists(f"{cache}/latent/images"):
                fail(f"{case}: a cache was written before the refusal")
            figures[case] = {"seconds": round(seconds, 2), "peak_rss_mb": round(max(peak, before) / 1024),
                             "line": lines[0]}
        # Ctrl-C while decoding: 2.5 s in, the pictures are half done.
        job = subprocess.Popen(train + ["--data", big, "--image-size", "64"], stderr=subprocess.PIPE, text=True,
                               env=env)
        time.sleep(2.5)
        started = time.time()
        job.send_signal(signal.SIGINT)
        _, stderr = job.communicate(timeout=60)
        seconds = time.time() - started
        lines = [line for line in stderr.splitlines() if line.startswith("latent:")]
        if job.returncode != 130 or len(lines) != 1 or "interrupted while decoding" not in lines[0] or seconds > 1:
            fail(f"ctrl-c while decoding: exit {job.returncode} after {seconds:.2f} s:\n{stderr[-1500:]}")
        if os.path.exists(f"{cache}/latent/images") and os.listdir(f"{cache}/latent/images"):
            fail("ctrl-c while decoding: a cache was written")
        figures["ctrl-c while decoding"] = {"seconds_to_exit": round(seconds, 2), "line": lines[0]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

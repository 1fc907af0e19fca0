#!/usr/bin/env python3
"""Prints a SHA-256 of every tensor's bytes in safetensors files, and one hash over all of them.

Usage: tensor_hashes.py FILE.safetensors...  (standard library only)
The metadata (config JSON, scaling, format version) is left out: only names, dtypes, shapes and bytes count, so a
checkpoint whose metadata changed form but whose tensors did not hashes the same.
"""
import hashlib
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    body = blob[8 + size:]
    for name in sorted(k for k in header if k != "__metadata__"):
        entry = header[name]
        start, end = entry["data_offsets"]
        yield name, entry["dtype"], entry["shape"], body[start:end]


def main():
    total = hashlib.sha256()
    for path in sys.argv[1:]:
        for name, dtype, shape, data in tensors(path):
            digest = hashlib.sha256(data).hexdigest()
            total.update(f"{name} {dtype} {shape} {digest}\n".encode())
            print(f"{digest[:16]}  {name} {dtype} {shape}")
    print(f"all: {total.hexdigest()}")


if __name__ == "__main__":
    main()

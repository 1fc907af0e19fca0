#!/usr/bin/env python3
"""Checks that each target of Package.swift imports only the modules it declares (SwiftPM lets a target import
whatever its dependencies import; this does not) and not itself, and prints the module table: files, lines,
declared modules.
Usage: module_imports.py [ROOT]   (standard library only; exits 1 on an undeclared import)
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
package = open(os.path.join(root, "Package.swift")).read()
targets = {}
for m in re.finditer(r"\.(target|executableTarget|testTarget)\(", package):
    depth, i = 1, m.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(package[i], 0)
        i += 1
    body = package[m.end():i - 1]
    name = re.search(r'name:\s*"(\w+)"', body).group(1)
    deps = re.search(r"dependencies:\s*\[(.*?)\]\s*(?:,|$)", body, re.S)
    declared = set(re.findall(r'^\s*"(\w+)"|[\[,]\s*"(\w+)"', deps.group(1), re.M)) if deps else set()
    declared = {a or b for a, b in declared}
    declared |= set(re.findall(r'\.product\(name:\s*"(\w+)"', body))
    path = re.search(r'path:\s*"([^"]+)"', body)
    folder = path.group(1) if path else os.path.join("Tests" if m.group(1) == "testTarget" else "Sources", name)
    targets[name] = (declared, folder)

failed = []
print(f"{'target':<20} {'files':>5} {'lines':>6}  declares")
for name, (declared, folder) in sorted(targets.items()):
    full = os.path.join(root, folder)
    if not os.path.isdir(full):
        continue
    files, lines, imported = 0, 0, set()
    for base, _, names in os.walk(full):
        for n in names:
            if not n.endswith(".swift"):
                continue
            text = open(os.path.join(base, n), encoding="utf-8").read()
            files += 1
            lines += text.count("\n")
            imported |= set(re.findall(r"^(?:@_exported |@testable )?import (Latent\w*|C[A-Z]\w*)$", text, re.M))
    extra = sorted(imported - declared - {name})
    if name in imported:
        failed.append(f"{name} imports itself (a file moved in still imports its old neighbour)")
    if files:
        print(f"{name:<20} {files:>5} {lines:>6}  {', '.join(sorted(d for d in declared if d.startswith('Latent')))}")
    if extra:
        failed.append(f"{name} imports {', '.join(extra)} without declaring it in Package.swift")
for line in failed:
    print(line)
sys.exit(1 if failed else 0)

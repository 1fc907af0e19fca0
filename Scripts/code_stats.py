#!/usr/bin/env python3
"""Size and shape of Sources/: lines, imports of other modules, undocumented public declarations, lines over
120 characters and functions over 60 lines, per module (issue 11's before/after figures). --json for programs."""
import json, pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent.parent / "Sources"
DECL = re.compile(r"^\s*(@\w+(\([^)]*\))?\s+)*(public|open)\s+(?!import)(extension\b)?")
FUNC = re.compile(r"^\s*(@\w+\s+)*((public|package|private|fileprivate|internal|open|static|mutating|override|"
                  r"nonisolated|final|@inlinable|@inline\(__always\))\s+)*(func|init|deinit|subscript)\b")


def function_lengths(lines):
    """(name line, length) of each function body, by brace depth."""
    out = []
    i = 0
    while i < len(lines):
        if FUNC.match(lines[i]) and "{" in "".join(lines[i:i + 6]):
            depth, start, seen = 0, i, False
            j = i
            while j < len(lines):
                depth += lines[j].count("{") - lines[j].count("}")
                seen = seen or "{" in lines[j]
                if seen and depth <= 0:
                    break
                j += 1
            out.append((start + 1, j - start + 1))
            i = start + 1
            continue
        i += 1
    return out


def module_stats(path):
    files = sorted(path.rglob("*.swift"))
    lines = imports = undocumented = long_lines = 0
    modules, long_functions = set(), []
    for f in files:
        text = f.read_text().splitlines()
        lines += len(text)
        for k, line in enumerate(text):
            m = re.match(r"^\s*(@_exported\s+)?(public\s+|package\s+)?import\s+(\w+)", line)
            if m:
                modules.add(m.group(3))
            if len(line) > 120:
                long_lines += 1
            if DECL.match(line) and not line.strip().startswith("public extension"):
                prev = k - 1
                while prev >= 0 and text[prev].strip().startswith("@"):
                    prev -= 1
                if prev < 0 or not text[prev].strip().startswith("///"):
                    undocumented += 1
        for start, length in function_lengths(text):
            if length > 60:
                long_functions.append(f"{f.relative_to(root)}:{start} ({length})")
    latent = sorted(m for m in modules if m.startswith("Latent") or m.startswith("C"))
    return {"lines": lines, "files": len(files), "imports": latent, "undocumented_public": undocumented,
            "lines_over_120": long_lines, "functions_over_60": long_functions}


stats = {p.name: module_stats(p) for p in sorted(root.iterdir()) if p.is_dir() and any(p.rglob("*.swift"))}
if "--json" in sys.argv:
    print(json.dumps(stats, indent=1))
else:
    print(f"{'module':18} {'files':>5} {'lines':>6} {'imports':>7} {'undoc':>6} {'>120':>5}  functions > 60 lines")
    for name, s in stats.items():
        print(f"{name:18} {s['files']:5} {s['lines']:6} {len(s['imports']):7} {s['undocumented_public']:6} "
              f"{s['lines_over_120']:5}  {', '.join(s['functions_over_60'])}")
    total = lambda key: sum(s[key] for s in stats.values())
    print(f"{'total':18} {total('files'):5} {total('lines'):6} {'':7} {total('undocumented_public'):6} "
          f"{total('lines_over_120'):5}")

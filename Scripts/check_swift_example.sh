#!/usr/bin/env bash
# The README's "Use it from Swift" program, built against this package as a dependency in a fresh directory
# (as a user would), then run: it trains a VAE on the bundled MNIST for one epoch and prints the test loss.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/Demo"
# The first ```swift block after the "Use it from Swift" heading.
python3 - "$root/README.md" > "$work/Sources/Demo/main.swift" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Use it from Swift"):]
print(re.search(r"```swift\n(.*?)```", section, re.S).group(1), end="")
PY
identity="$(basename "$root" | tr "[:upper:]" "[:lower:]")"   # SwiftPM names a path package by its folder
cat > "$work/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "Demo",
    dependencies: [.package(path: "$root")],
    targets: [
        .executableTarget(name: "Demo", dependencies: [.product(name: "Latent", package: "$identity")])
    ]
)
SWIFT
cd "$work"
echo "building the README's program in $work against $root" >&2
swift build -c release 2>&1 | tail -1 >&2
.build/release/Demo

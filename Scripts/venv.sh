#!/usr/bin/env bash
# The project's Python virtual environment: creates .venv with the python3 on PATH (`python3 -m venv`; Debian's
# interpreter needs python3-venv, which Scripts/setup_tests.sh installs) and pip-installs pinned requirement files
# into it, never into the system Python. Installs only when the requirements differ from the last install.
#   bash Scripts/venv.sh [--dir DIR] [REQUIREMENTS.txt ...]   (default: .venv, Scripts/requirements-test.txt)
# Then run Python tools with .venv/bin/python (e.g. .venv/bin/python python/latent_torch.py …).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.venv
if [ "${1:-}" = --dir ]; then
  [ $# -ge 2 ] && [ -n "$2" ] || { echo "venv: --dir needs a folder" >&2; exit 2; }
  dir=$2; shift 2
fi
requirements=("$@")
[ ${#requirements[@]} -gt 0 ] || requirements=(Scripts/requirements-test.txt)
for r in "${requirements[@]}"; do
  [ -f "$r" ] || { echo "venv: no requirements file $r" >&2; exit 2; }
done
if ! command -v python3 >/dev/null 2>&1; then
  echo "venv: python3 is needed and not on PATH (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
  exit 1
fi
# A venv whose interpreter no longer runs (its base Python was removed or moved) is made anew.
if [ -e "$dir" ] && ! "$dir/bin/python" -c '' >/dev/null 2>&1; then
  echo "venv: $dir does not run ($dir/bin/python); making it anew" >&2
  rm -rf "$dir"
fi
if [ ! -e "$dir" ]; then
  echo "venv: creating $dir with $(command -v python3) ($(python3 --version 2>&1))" >&2
  if ! python3 -m venv "$dir" >/dev/null 2>&1; then
    rm -rf "$dir"
    echo "venv: 'python3 -m venv' failed: on Debian/Ubuntu install python3-venv (bash Scripts/setup_tests.sh" \
      "does), then run again" >&2
    exit 1
  fi
fi
# The requirement files and those they name with -r, hashed: the same set already installed is not installed again.
files=()
for r in "${requirements[@]}"; do
  files+=("$r")
  while read -r included; do files+=("$(dirname "$r")/$included"); done \
    < <(sed -n 's/^-r[[:space:]]*//p' "$r")
done
stamp="$dir/.latent-requirements"
digest=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "venv: installing ${requirements[*]} into $dir" >&2
  args=()
  for r in "${requirements[@]}"; do args+=(-r "$r"); done
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}"
  echo "$digest" > "$stamp"
fi

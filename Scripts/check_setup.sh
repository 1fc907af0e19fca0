#!/usr/bin/env bash
# Proves the setup split (issue 34): the main job (Scripts/run.sh → Scripts/setup.sh) installs only what `latent`
# needs to build and run — no browser, no MPI runtime, no wrk, nothing of Python's — and the test path installs
# those. Reads the two package lists, then runs the main job and the test setup against stand-ins for apt-get,
# dpkg-query, sudo, swift, python3 and pip (a machine with nothing installed, as root and as a user with sudo),
# and checks what they would have installed. Also: no Swift, no sudo (as a user) and a system without apt-get each
# get one line saying what to do.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/setup/packages.sh
fail() { echo "check_setup: $*" >&2; exit 1; }
test_tools='^(chromium.*|firefox.*|.*-driver|wrk|openmpi-bin|libopenmpi.*|mpich.*|libmpich.*|python3.*|pip|jq|strace)$'
bad=$(package_list Scripts/setup/run-packages.txt | grep -E "$test_tools" || true)
[ -z "$bad" ] || fail "Scripts/setup/run-packages.txt names test tools: $(echo $bad)"
for needed in chromium chromium-driver wrk openmpi-bin strace python3-venv; do
  package_list Scripts/setup/test-packages.txt | grep -qx "$needed" \
    || fail "Scripts/setup/test-packages.txt does not name $needed"
done
overlap=$(comm -12 <(package_list Scripts/setup/run-packages.txt | sort) \
  <(package_list Scripts/setup/test-packages.txt | sort))
[ -z "$overlap" ] || fail "both package lists name $(echo $overlap)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of the scripts in an empty tree, and stand-ins that log what they are asked.
mkdir -p "$work/repo/.build/release" "$work/bin"
cp -r Scripts "$work/repo/"
log="$work/log"
stub() {  # stub NAME BODY (a new file: never written through a link to the real tool)
  rm -f "$work/bin/$1"
  printf '#!%s\n%s\n' "$(command -v bash)" "$2" > "$work/bin/$1"
  chmod +x "$work/bin/$1"
}
stub apt-get 'echo "apt-get $*" >> '"$log"
stub dpkg-query 'exit 1'                                   # nothing is installed
stub sudo 'echo "sudo" >> '"$log"'; exec "$@"'
stub swift 'echo "swift $*" >> '"$log"
for p in python python3 pip pip3; do stub "$p" 'echo "python $*" >> '"$log"'; exit 1'; done
stub latent 'echo "latent $*" >> '"$log"
mv "$work/bin/latent" "$work/repo/.build/release/latent"
for tool in bash sed grep mktemp tail rm env tr dirname cat sort comm head; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done

run() {  # run USER_ID SCRIPT: the script in the copy, with only the stand-ins and the tools above on PATH
  stub id "if [ \"\${1:-}\" = -u ]; then echo $1; else echo 'id: only -u here' >&2; exit 1; fi"
  : > "$log"
  PATH="$work/bin" bash "$work/repo/Scripts/$2" > "$work/out" 2>&1 || true
}
installed() { sed -n 's/^apt-get install -y -qq --no-install-recommends //p' "$log" | tr ' ' '\n' | sort; }
for user in 0 1000; do
  run "$user" run.sh
  grep -q '^python' "$log" && fail "the main job (as user $user) ran Python or pip: $(grep '^python' "$log" | head -1)"
  [ "$(installed)" = "$(package_list Scripts/setup/run-packages.txt | sort)" ] \
    || fail "the main job (as user $user) installed $(echo $(installed)), not Scripts/setup/run-packages.txt"
  grep -q '^latent train' "$log" || fail "the main job (as user $user) did not train: $(tail -1 "$work/out")"
  if [ "$user" = 0 ]; then ! grep -q '^sudo' "$log" || fail "the main job used sudo as root"
  else grep -q '^sudo' "$log" || fail "the main job did not use sudo as a user"; fi
done
run 0 setup_tests.sh
everything=$( (package_list Scripts/setup/run-packages.txt; package_list Scripts/setup/test-packages.txt) | sort)
[ "$(installed)" = "$everything" ] || fail "the test setup installed $(echo $(installed)), not both package lists"

# One line, saying what to do: no Swift on PATH; no apt-get (another distribution); no root and no sudo.
rm "$work/bin/swift"
run 0 setup.sh
[ "$(wc -l < "$work/out")" = 1 ] && grep -q "install it" "$work/out" || fail "without swift: $(cat "$work/out")"
stub swift 'exit 0'
rm "$work/bin/sudo"
run 1000 setup.sh
[ "$(wc -l < "$work/out")" = 1 ] && grep -q "needs root" "$work/out" || fail "without sudo: $(cat "$work/out")"
rm "$work/bin/apt-get" "$work/bin/dpkg-query"
run 0 setup.sh
[ "$(wc -l < "$work/out")" = 1 ] && grep -q "LATENT_SKIP_PACKAGES=1" "$work/out" \
  || fail "without apt-get: $(cat "$work/out")"
echo "setup split: the main job installs $(package_list Scripts/setup/run-packages.txt | wc -l) packages" \
  "(no browser, MPI runtime, wrk or Python), the tests $(package_list Scripts/setup/test-packages.txt | wc -l) more"

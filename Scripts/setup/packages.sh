# Sourced by Scripts/setup.sh and Scripts/setup_tests.sh: installs the Debian/Ubuntu packages of a list file
# that are missing, as root or through sudo, and says in one line what to do where it cannot.
#   install_packages WHO LIST_FILE

# The package names of a list file (comments and blank lines left out).
package_list() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$'
}

install_packages() {
  local who=$1 list=$2 missing=() p
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    # Not Debian's family: nothing can be installed from here; the user installs the equivalents by hand.
    echo "$who: this script installs Debian/Ubuntu packages with apt-get, which this system does not have;" \
      "install the equivalents of $(package_list "$list" | tr '\n' ' ')(see $list), then run again" \
      "with LATENT_SKIP_PACKAGES=1" >&2
    return 1
  fi
  while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done < <(package_list "$list")
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$who: installing ${missing[*]} needs root: run this script as root, or install sudo" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  echo "$who: installing ${missing[*]}" >&2
  local log
  log=$(mktemp)
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rm -f "$log"
    echo "$who: ${sudo[*]:+sudo }apt-get could not install ${missing[*]} (its last lines above; Debian 12+ and" \
      "Ubuntu 22.04+ have every package named)" >&2
    return 1
  fi
  rm -f "$log"
}

#!/usr/bin/env bash
# Installs everything the project needs on Debian 12: the Debian packages
# below (with apt, as root) and the npm tools of tools/node (into
# tools/node/node_modules, git-ignored). Safe to run again: it only installs
# what is missing, and takes a second or two when nothing is.
set -euo pipefail

# Every Debian package the build, the tests and the benchmarks use.
DEBIAN_PACKAGES=(
  bazel-bootstrap bazel-rules-cc bazel-rules-java  # the build (Bazel 4.2.3)
  libeigen3-dev catch2 libbenchmark-dev libbenchmark-tools python3-scipy
  libcpp-httplib-dev nlohmann-json3-dev libpcre2-dev libcli11-dev
  clang libclang-rt-14-dev  # libFuzzer and sanitizers
  chromium  # the /chat page's test, driven by playwright-core (serve/client_tests)
)

cd "$(dirname "$0")"

die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

# --- Debian packages -------------------------------------------------------
wanted=("${DEBIAN_PACKAGES[@]}")
# Node.js and npm install the npm tools; the machine may have them already
# from elsewhere (e.g. NodeSource), otherwise Debian's.
command -v node >/dev/null 2>&1 || wanted+=(nodejs)
command -v npm >/dev/null 2>&1 || wanted+=(npm)

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  echo "setup.sh: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    die "installing packages needs root: run 'sudo ./setup.sh' (or: sudo apt-get install ${missing[*]})"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || die "'apt-get update' failed (see above): check the network and /etc/apt/sources.list"
  apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "'apt-get install ${missing[*]}' failed (see above)"
fi

# --- npm tools ---------------------------------------------------------------
# Installed exactly as package-lock.json pins them; skipped when the lock is
# the one installed last time.
node_dir=tools/node
stamp="$node_dir/node_modules/.installed-package-lock.json"
if ! cmp -s "$node_dir/package-lock.json" "$stamp"; then
  echo "setup.sh: installing npm tools into $node_dir/node_modules"
  npm ci --prefix "$node_dir" --ignore-scripts --no-audit --no-fund ||
    die "'npm ci --prefix $node_dir' failed (see above): check access to the npm registry"
  cp "$node_dir/package-lock.json" "$stamp"
fi

echo "setup.sh: all set. Next: bazel test //..."

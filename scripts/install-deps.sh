#!/usr/bin/env bash
# Installs the Debian packages shine needs to build, test and benchmark, skipping those present.
# Uses sudo when not run as root. Safe to run repeatedly. Extra package names given as arguments
# are installed too (e.g. `scripts/install-deps.sh doxygen` for `make docs`).
set -euo pipefail

packages=(
  build-essential cmake pkg-config xz-utils
  libeigen3-dev libboost-program-options-dev libboost-iostreams-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  liblinear-tools gnuplot-nox
  python3-dev pybind11-dev python3-numpy python3-scipy python3-sklearn python3-pytest
  "$@"
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "shine: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "shine: not root and no sudo: install these packages first: ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

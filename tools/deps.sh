#!/usr/bin/env bash
# deps.sh: install the system packages infercap needs on Debian/Ubuntu, if any are missing.
# As root it runs apt-get; otherwise it prints the exact sudo line and stops.
set -euo pipefail

pkgs=(build-essential cmake pkg-config git
      libgsl-dev libhdf5-dev libcjson-dev librandom123-dev hdf5-tools
      python3 python3-h5py python3-numpy python3-matplotlib python3-pytest
      python3-xarray python3-netcdf4 python3-h5netcdf)
pkgs+=("$@")

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian/Ubuntu system; install these (or your distribution's equivalents) yourself:" >&2
    echo "  ${pkgs[*]}" >&2
    exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "deps: missing packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

#!/usr/bin/env bash
# Install the Debian packages the hardening tests (tests/hardening.cmake) need
# beyond scripts/install-deps.sh: valgrind for the memcheck runs of dm-seed.
# Idempotent: nothing is fetched when everything is present.
# Usage: scripts/install-hardening-deps.sh
set -euo pipefail
pkgs=(valgrind)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-hardening-deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-hardening-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

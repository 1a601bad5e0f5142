#!/usr/bin/env bash
# Install the peers and helpers the seed benchmark (bench/seed-bench.sh) runs:
# rclone, s3cmd, the AWS CLI (only when no `aws` is on PATH), gnuplot without X,
# and GNU time.  Idempotent: packages already present are not fetched again.
# Usage: scripts/install-bench-deps.sh
set -euo pipefail

pkgs=(rclone s3cmd gnuplot-nox time)
command -v aws >/dev/null 2>&1 || pkgs+=(awscli)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-bench-deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-bench-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

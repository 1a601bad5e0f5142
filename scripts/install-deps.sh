#!/usr/bin/env bash
# Install the Debian packages dm needs to build, test and run the demo.
# Idempotent: packages already present are not fetched again.
# Usage: scripts/install-deps.sh [build|s3|all]   (default: all)
set -euo pipefail
what=${1:-all}

build_pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev libssl-dev libxml2-dev
            libyaml-dev libjansson-dev libcmocka-dev curl ca-certificates)
s3_pkgs=(radosgw ceph-mon ceph-osd ceph-common python3 python3-yaml openssl curl util-linux)

pkgs=()
case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  s3)    pkgs=("${s3_pkgs[@]}") ;;
  all)   pkgs=("${build_pkgs[@]}" "${s3_pkgs[@]}") ;;
  *) echo "install-deps.sh: unknown set '$what' (build|s3|all)" >&2; exit 2 ;;
esac

# the tests check what landed with an independent client: the AWS CLI
case "$what" in s3|all) command -v aws >/dev/null 2>&1 || pkgs+=(awscli) ;; esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

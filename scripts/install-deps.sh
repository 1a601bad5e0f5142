#!/usr/bin/env bash
# Install the Debian packages dm needs.  Idempotent: nothing is fetched when
# everything is present.  The one place that runs apt for the project.
# Usage: scripts/install-deps.sh [SET|PACKAGE]...   (default: all)
#   build      the C compiler, make, CMake and the -dev libraries libdm links: all that building
#              dm needs (make install, make demo)
#   s3-server  the S3 server the demo and the tests boot (Ceph RGW: tests/servers/s3-up.sh)
#   s3         s3-server and the tests' independent clients (the AWS CLI, Python's YAML, openssl)
#   test       cmocka (the unit tests), valgrind (memcheck runs of the hardening tests),
#              clang-format (the layout check), groff and man (the man pages' check),
#              python3-jsonschema (content_schemas: the components' values against the charts'
#              schemas), docker-registry (cli_cluster_mirror_serve: the registry mirror dm-cluster
#              runs; the tests start it on free loopback ports, never Debian's service on :5000)
#   bench      the benchmark's peers: rclone, s3cmd, the AWS CLI, gnuplot, GNU time
#   node       a Kubernetes node on loopback for the tests: containerd, runc, the CNI plugins,
#              umoci (OCI images without a registry); `make check` installs it, `make demo` does not
#   all        build + s3 + test
# `make demo` installs build and s3-server only.
# Any other word is taken as a Debian package name.
set -euo pipefail
[ $# -gt 0 ] || set -- all

pkgs=()
add_set() {
  case "$1" in
    # dm is C only: gcc and make, not build-essential's g++ and dpkg-dev (23 MB less to fetch);
    # media-types: /etc/mime.types, dm-seed's Content-Type by extension
    build) pkgs+=(gcc make libc6-dev cmake pkg-config libcurl4-openssl-dev libssl-dev libxml2-dev
                  libyaml-dev libjansson-dev media-types) ;;
    s3-server) pkgs+=(radosgw ceph-mon ceph-osd ceph-common python3 curl util-linux) ;;
    s3)    add_set s3-server
           pkgs+=(python3-yaml openssl)
           # the tests check what landed with an independent client: the AWS CLI
           command -v aws >/dev/null 2>&1 || pkgs+=(awscli) ;;
    test)  pkgs+=(libcmocka-dev valgrind clang-format git groff-base man-db ca-certificates curl
                  python3-yaml python3-jsonschema docker-registry) ;;
    bench) pkgs+=(rclone s3cmd gnuplot-nox time)
           command -v aws >/dev/null 2>&1 || pkgs+=(awscli) ;;
    node)  pkgs+=(containerd runc containernetworking-plugins umoci util-linux) ;;
    all)   add_set build; add_set s3; add_set test ;;
    *)     pkgs+=("$1") ;;
  esac
}
for s in "$@"; do add_set "$s"; done

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

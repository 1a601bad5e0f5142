#!/usr/bin/env bash
# dm's container image without a registry or a container engine: the five tools of a build and
# the shared libraries they load (as ldd finds them on this Debian machine), CA certificates and
# a minimal /etc, as an OCI image layout made with umoci.  The same content as the Containerfile
# at the top of the repository, which builds it from a Debian 12 base for docker/podman/buildah.
#
# Usage: tests/servers/k8s-image.sh BUILD_DIR OUT
# Writes OUT/dm (OCI layout, tag = the tools' version, also "latest") and OUT/dm.tar (the same
# as an OCI archive: `podman load -i`, `ctr images import --base-name NAME`).  Import it into the
# test bed's node with `$DM_TEST_NODE_IMPORT OUT/dm localhost/dm` (tests/servers/k8s-up.sh --node).
# Exit 0 on success, 1 with a message otherwise.
set -euo pipefail
build=${1:?usage: k8s-image.sh BUILD_DIR OUT}
out=${2:?usage: k8s-image.sh BUILD_DIR OUT}
tools=(dm-seed dm-secrets dm-helm dm-cluster dm-gpu)

say() { echo "k8s-image.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

command -v umoci >/dev/null || die "umoci not found: install it with 'scripts/install-deps.sh node'"
for t in "${tools[@]}"; do
  [ -x "$build/bin/$t" ] || die "$build/bin/$t not found: build dm first (make build)"
done
version=$("$build/bin/dm-seed" --version | awk '{ print $2 }')
[ -n "$version" ] || die "cannot tell the version from '$build/bin/dm-seed --version'"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/root"
chmod 1777 "$root/tmp"

# the tools, and every shared library they load, at the same paths as here
for t in "${tools[@]}"; do
  install -m 0755 "$build/bin/$t" "$root/usr/local/bin/$t"
done
deps=$(for t in "${tools[@]}"; do ldd "$build/bin/$t"; done) || die "ldd failed on the tools"
! grep -q 'not found' <<<"$deps" || die "a library of the tools is missing: $(grep 'not found' <<<"$deps" | head -1)"
libs=$(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$deps" | sort -u)
[ -n "$libs" ] || die "ldd found no shared libraries for the tools"
for l in $libs; do
  cp -L --parents "$l" "$root/"
done
# /lib64 and /lib are where Debian's loader and libraries are named from: keep them real folders
printf '' >"$root/etc/ld.so.conf"
ldconfig -r "$root" 2>/dev/null || true

# TLS to S3 and to the API server needs the CA bundle; names resolve through files and DNS
[ -f /etc/ssl/certs/ca-certificates.crt ] || die "/etc/ssl/certs/ca-certificates.crt not found (ca-certificates)"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

layout=$work/dm
{
  umoci init --layout "$layout" &&
    umoci new --image "$layout:$version" &&
    umoci unpack --image "$layout:$version" "$work/bundle" &&
    cp -a "$root/." "$work/bundle/rootfs/" &&
    umoci repack --image "$layout:$version" "$work/bundle" &&
    umoci config --image "$layout:$version" --config.cmd dm-seed --config.cmd --help \
      --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.workingdir / \
      --config.label "org.opencontainers.image.title=dm" \
      --config.label "org.opencontainers.image.version=$version" &&
    umoci tag --image "$layout:$version" latest &&
    umoci gc --layout "$layout"
} >"$work/umoci.log" 2>&1 || { cat "$work/umoci.log" >&2; die "umoci failed"; }
tar -C "$layout" -cf "$work/dm.tar" .
rm -rf "$out/dm" "$out/dm.tar"
mv "$layout" "$out/dm"
mv "$work/dm.tar" "$out/dm.tar"
say "dm $version: $out/dm (OCI layout, tags $version and latest), $out/dm.tar ($(du -sh "$out/dm.tar" | cut -f1))"

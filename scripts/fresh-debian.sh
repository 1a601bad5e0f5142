#!/usr/bin/env bash
# A manual check, not part of make check (it needs the network and root): the README's two install
# claims on a fresh Debian 12, each in its own clean root made by debootstrap.
#   1. `make demo`, as the quick start writes it, timed: apt (download and install), the build and
#      the demo itself apart, and the size of what apt fetched.
#   2. the .deb of `make deb` (built here, on this machine) installed with `apt-get install ./dm_*.deb`
#      in a root that has none of the build's packages, so that a missing Depends shows; then every
#      tool's --version and --help, `dm-helm plan` from an empty folder (the platform content under
#      /usr/share/dm) and `man dm-seed`.
# Usage: sudo scripts/fresh-debian.sh [DIR]        (default DIR: /var/tmp/dm-fresh)
# Environment:
#   DM_MIRROR   the Debian mirror (default: the first bookworm one of this machine's apt sources)
#   KEEP=1      leave DIR (unmounted) for a look afterwards; by default it is deleted
#   SKIP_DEMO=1, SKIP_DEB=1   run one check only
# A fresh Debian has neither make nor git: the demo root gets `make` first (timed apart), and the
# sources as a `git archive` of HEAD in /root/dm.  The chroot shares this machine's kernel and
# network (the demo's servers listen on 127.0.0.1 here); daemons started by packages' scripts are
# held off with a policy-rc.d, as there is no init in a chroot.
# the commands run in the chroot are single-quoted on purpose: they expand there
# shellcheck disable=SC2016
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
root=${1:-/var/tmp/dm-fresh}
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian: run as root (debootstrap, chroot, mount)" >&2; exit 1; }

mirror=${DM_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 .sources ("URIs: ..." with "Suites: bookworm ...") first, then one-line sources.list
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk 'BEGIN{RS=""} /Types:[^\n]*deb([ \n]|$)/ && /Suites:[^\n]*bookworm([ \n]|$)/ {
                    for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i+1); exit } }' "$f")
    [ -n "$mirror" ] && break
  done
  if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
             awk '$1 == "deb" && / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
  fi
fi
[ -n "$mirror" ] || { echo "fresh-debian: no bookworm mirror in /etc/apt: set DM_MIRROR" >&2; exit 1; }
command -v debootstrap >/dev/null || bash scripts/install-deps.sh debootstrap

mounted=()
umount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
finish() {
  umount_all
  if [ "${KEEP:-0}" = 1 ]; then echo "fresh-debian: left in $root (nothing mounted)"; else rm -rf "$root"; fi
}
trap finish EXIT
mount_in() { # ROOT: /proc, /sys, /dev (with /dev/pts and /dev/shm) and the resolver
  mount -t proc proc "$1/proc"; mounted+=("$1/proc")
  mount --rbind /sys "$1/sys"; mount --make-rslave "$1/sys"; mounted+=("$1/sys")
  mount --rbind /dev "$1/dev"; mount --make-rslave "$1/dev"; mounted+=("$1/dev")
  cp /etc/resolv.conf "$1/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"; chmod +x "$1/usr/sbin/policy-rc.d"
}
in_root() { chroot "$1" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
              PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$2"; }

mkdir -p "$root"
base=$root/base
if [ ! -f "$base/.dm-base-done" ]; then
  rm -rf "$base"
  t0=$SECONDS
  debootstrap --include=ca-certificates bookworm "$base" "$mirror" >"$root/debootstrap.log" 2>&1 ||
    { tail -20 "$root/debootstrap.log" >&2; exit 1; }
  echo "fresh-debian: debootstrap bookworm: $((SECONDS - t0)) s"
  touch "$base/.dm-base-done"
fi

if [ "${SKIP_DEMO:-0}" != 1 ]; then
  r=$root/demo
  rm -rf "$r"; cp -a "$base" "$r"
  mount_in "$r"
  mkdir -p "$r/root/dm"
  git -C "$repo" archive HEAD | tar -x -C "$r/root/dm"
  echo "== demo root $r: apt-get update and make (a fresh Debian has no make)"
  in_root "$r" 'export DEBIAN_FRONTEND=noninteractive; s=$EPOCHSECONDS
                apt-get update -qq && apt-get install -y -qq --no-install-recommends make >/dev/null
                echo "fresh-debian: apt-get update + make: $((EPOCHSECONDS - s)) s"'
  in_root "$r" 'apt-get clean'
  echo "== time make demo   (each line stamped with the seconds since the start)"
  # the stamps split the run: the build set's apt until cmake's first line (the S3 server's apt
  # starts then, beside the build), the demo from its first "==" line
  in_root "$r" 'cd /root/dm && s=$EPOCHSECONDS
                { time make demo; } 2>&1 | while IFS= read -r l; do printf "%4d %s\n" $((EPOCHSECONDS - s)) "$l"; done
                rc=${PIPESTATUS[0]}
                # when each dpkg run began and ended (apt writes Start-Date once the download is done)
                grep -E "^(Start-Date|End-Date|Commandline)" /var/log/apt/history.log | tail -6
                echo "fresh-debian: apt fetched $(du -cb /var/cache/apt/archives/*.deb | tail -1 | cut -f1) bytes in $(ls /var/cache/apt/archives/*.deb | wc -l) packages"
                exit $rc' | tee "$root/demo.log"
  umount_all
fi

if [ "${SKIP_DEB:-0}" != 1 ]; then
  echo "== make deb (here)"
  make deb >"$root/deb-build.log" 2>&1 || { tail -20 "$root/deb-build.log" >&2; exit 1; }
  deb=$(ls build-deb/dm_*.deb)
  dpkg-deb -f "$deb" Depends Recommends Suggests
  r=$root/deb
  rm -rf "$r"; cp -a "$base" "$r"
  mount_in "$r"
  cp "$deb" "$r/root/"
  echo "== deb root $r: apt-get install ./$(basename "$deb") and man"
  in_root "$r" 'export DEBIAN_FRONTEND=noninteractive; set -eo pipefail
    cd /root && apt-get update -qq && apt-get install -y -qq ./'"$(basename "$deb")"' >/dev/null
    for t in dm-seed dm-secrets dm-helm dm-cluster dm-gpu; do
      echo "$t --version: $($t --version)"
      $t --help >/dev/null
    done
    mkdir /tmp/empty && cd /tmp/empty && dm-helm plan >/tmp/plan && head -5 /tmp/plan
    echo "files in the package: $(dpkg -L dm | wc -l)"
    # man-db after the checks above, so that its packages cannot stand in for a missing Depends
    apt-get install -y -qq man-db >/dev/null && MANPAGER=cat MANWIDTH=80 man dm-seed | head -3' | tee "$root/deb.log"
  umount_all
fi
echo "fresh-debian: ok"

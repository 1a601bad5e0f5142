#!/usr/bin/env bash
# Fixture "node" cleanup: tests/servers/k8s-down.sh DIR, then checks that nothing of the test bed
# is left: no process naming DIR (etcd, API server, controllers, containerd, its shims, kubelet),
# no process in a cgroup of one of its containers, no mount under DIR, no /var/log/pods folder
# (or /var/log/containers link) of its pods.  Fails listing what is left.
# Usage: tests/cli/node-down.sh DIR
set -uo pipefail
dir=${1:?usage: node-down.sh DIR}
servers=$(cd "$(dirname "${BASH_SOURCE[0]}")/../servers" && pwd)
[ -d "$dir" ] || { echo "node-down.sh: $dir does not exist: nothing to stop"; exit 0; }
dir=$(cd "$dir" && pwd)

# what the test bed ran, asked before it goes: the pods of the API, those node_up_down recorded,
# and the containers in containerd
uids=$(cat "$dir/checked-pod-uids" 2>/dev/null)
ctrs=
if [ -f "$dir/env" ]; then
  # shellcheck disable=SC1091
  uids="$uids $( (. "$dir/env" && "$DM_TEST_KUBECTL" get pods -A -o jsonpath='{.items[*].metadata.uid}') 2>/dev/null)"
  # shellcheck disable=SC1091
  ctrs=$( (. "$dir/env" && $DM_TEST_NODE_CTR containers ls -q) 2>/dev/null)
fi
rm -f "$dir/checked-pod-uids"

t0=$(date +%s.%N)
bash "$servers/k8s-down.sh" "$dir"
rc=$?
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
left=()
[ "$rc" = 0 ] || left+=("k8s-down.sh exited $rc")
cmdline() { tr '\0' ' ' <"$1/cmdline" 2>/dev/null; }
for f in $(grep -laF -- "$dir/" /proc/[0-9]*/cmdline 2>/dev/null); do
  p=${f%/cmdline}
  [ "${p#/proc/}" = $$ ] || left+=("process ${p#/proc/}: $(cmdline "$p")")
done
if [ -n "$ctrs" ]; then
  pats=()
  for c in $ctrs; do pats+=(-e "$c"); done
  for f in $(grep -lF "${pats[@]}" /proc/[0-9]*/cgroup 2>/dev/null); do
    p=${f%/cgroup}
    left+=("process ${p#/proc/} in the cgroup of a container of the test bed: $(cmdline "$p")")
  done
fi
while read -r m; do
  [ -n "$m" ] && left+=("mount $m")
done < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)
n=0
for u in $uids; do
  n=$((n + 1))
  for d in /var/log/pods/*_"$u"; do
    [ -e "$d" ] && left+=("log folder $d")
  done
done
for l in /var/log/containers/*.log; do
  [ -L "$l" ] || continue
  for u in $uids; do
    case "$(readlink "$l")" in */*_"$u"/*) left+=("log link $l") ;; esac
  done
done
[ -e "$dir/containerd/state" ] && left+=("containerd state $dir/containerd/state")
if [ ${#left[@]} -gt 0 ]; then
  printf 'FAIL: left behind: %s\n' "${left[@]}" >&2
  exit 1
fi
echo "ok - k8s-down.sh in ${took}s left no process, container, mount or log folder ($n pods checked)"

#!/usr/bin/env bash
# Stop what tests/servers/k8s-up.sh DIR [--node] started.  Safe to run twice.
# With a node: its pods are deleted through the API while the kubelet still runs (so that it
# tears their sandboxes down), then controllers and kubelet stop, containerd's remaining
# containers are killed and removed, containerd stops, every mount under DIR (the kubelet's
# bind mount of its root folder onto itself, pod volumes, rootfs) is unmounted, and the
# /var/log/pods folders (and /var/log/containers links) of the test bed's pods are removed.
# Then the API server and etcd stop.
# Usage: tests/servers/k8s-down.sh DIR
set -uo pipefail
dir=${1:?usage: k8s-down.sh DIR}
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)
rm -f "$dir/env"

stop() { # NAME
  local pidf=$dir/$1.pid pid i
  [ -f "$pidf" ] || return 0
  pid=$(cat "$pidf")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "k8s-down.sh: $1 ($pid) did not stop on TERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$pidf"
}
alive() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

node_down() {
  local cd=$dir/containerd kc=$dir/kubeconfig kubectl=() uids=() u i ids m n
  # shellcheck disable=SC1091
  [ -f "$dir/tools.env" ] && . "$dir/tools.env"
  ctrd() { ctr --address "$cd/containerd.sock" -n k8s.io "$@"; }
  if alive apiserver && [ -n "${KUBECTL:-}" ] && [ -f "$kc" ]; then
    kubectl=("$KUBECTL" --kubeconfig="$kc" --request-timeout=10s)
  fi
  # no new pods from here on
  stop controller-manager
  stop scheduler
  if [ ${#kubectl[@]} -gt 0 ]; then
    # every pod this test bed ran: those still there, and those its events name (the API
    # server keeps events for an hour), for their /var/log/pods folders
    mapfile -t uids < <({ "${kubectl[@]}" get pods -A -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}'
                         "${kubectl[@]}" get events -A -o jsonpath='{range .items[?(@.involvedObject.kind=="Pod")]}{.involvedObject.uid}{"\n"}{end}'
                       } 2>/dev/null | sort -u | grep -E '^[0-9a-f-]{36}$')
    if alive kubelet && alive containerd; then
      "${kubectl[@]}" delete pods -A --all --grace-period=0 --force --wait=false >/dev/null 2>&1
      # the kubelet stops each pod's containers and sandbox (its network teardown included)
      for i in $(seq 1 100); do
        [ -z "$(ctrd tasks ls -q 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  if [ -d "$dir/kubelet/root/pods" ]; then
    for u in "$dir"/kubelet/root/pods/*; do [ -d "$u" ] && uids+=("$(basename "$u")"); done
  fi
  stop kubelet
  if alive containerd; then
    # what the kubelet did not stop: kill and remove (the tasks' shims then exit)
    ids=$(ctrd tasks ls -q 2>/dev/null)
    for i in $ids; do ctrd tasks kill -s SIGKILL "$i" >/dev/null 2>&1; done
    for i in $ids; do
      for n in $(seq 1 25); do ctrd tasks delete "$i" >/dev/null 2>&1 && break; sleep 0.2; done
    done
    for i in $(ctrd containers ls -q 2>/dev/null); do ctrd containers delete "$i" >/dev/null 2>&1; done
  fi
  stop containerd
  # a shim whose containerd is gone: it names the socket under DIR
  for i in $(pgrep -f "^[^ ]*containerd-shim[^ ]* .*-address $cd/"); do
    echo "k8s-down.sh: killing the leftover shim $i" >&2
    kill -KILL "$i" 2>/dev/null
  done
  # deepest first; lazily if still busy
  for n in 1 2 3; do
    m=$(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    [ -n "$m" ] || break
    while read -r i; do
      i=$(printf '%b' "$i")  # mountinfo escapes blanks as \040
      umount "$i" 2>/dev/null || { [ "$n" = 3 ] && umount -l "$i" 2>/dev/null; }
    done <<<"$m"
  done
  for u in "${uids[@]}"; do
    for i in /var/log/pods/*_"$u"; do
      [ -d "$i" ] || continue
      for n in /var/log/containers/*.log; do
        [ -L "$n" ] && case "$(readlink "$n")" in "$i"/*) rm -f "$n" ;; esac
      done
      rm -rf "$i"
    done
  done
  rm -rf "$cd/root" "$cd/state" "$cd/opt" "$cd/runc" "$dir/kubelet/root"
  rm -f "$cd/containerd.sock" "$cd/containerd.sock.ttrpc"
}
if [ -f "$dir/kubelet.pid" ] || [ -f "$dir/containerd.pid" ] || [ -f "$dir/controller-manager.pid" ] ||
   [ -f "$dir/scheduler.pid" ]; then
  node_down
fi

stop apiserver
stop etcd
rm -rf "$dir/etcd-data"
exit 0

#!/usr/bin/env bash
# Stop the API server and etcd started by tests/servers/k8s-up.sh DIR.  Safe to run twice.
# Usage: tests/servers/k8s-down.sh DIR
set -uo pipefail
dir=${1:?usage: k8s-down.sh DIR}
[ -d "$dir" ] || exit 0
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
stop apiserver
stop etcd
rm -rf "$dir/etcd-data"
exit 0

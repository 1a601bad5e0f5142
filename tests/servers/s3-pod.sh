#!/usr/bin/env bash
# The S3 server of s3-up.sh (ceph-mon, a memstore OSD, radosgw) as the foreground process of a pod
# on the node test bed (chart tests/fixtures/node-pipeline/charts/nd-s3).  The pod's container runs
# this machine's programs, through `chroot` into the host's root mounted at /host, because images
# are never pulled on the test bed and dm's image has no shell (see the chart for why and how).
#
# Usage: s3-pod.sh DIR PORT            boot, then stay in the foreground until TERM or INT
#        s3-pod.sh --probe DIR PORT    the readiness probe: exit 0 only when S3 answers
#   DIR   state folder (a hostPath of the pod): the server in DIR/s3, temporary files in DIR/tmp
#   PORT  radosgw's http port on 127.0.0.1 (the pod uses the node's network)
# Environment (the pod's):
#   DM_S3_ACCESS_KEY, DM_S3_SECRET_KEY  the S3 user's keys, from the cluster's Secret (letters and
#                                       digits); never on a command line, in DIR or in a log
#   DM_S3_MEMSTORE_BYTES, DM_S3_BOOT_TIMEOUT   as for s3-up.sh
#   DM_S3_STOP_GRACE    seconds each daemon gets after TERM when stopping (default 5)
# Serving: s3-up.sh DIR/s3 --port PORT --keys-from-env, then a watch: if a daemon exits, its log is
# shown, the rest is stopped and the script exits 1 (the kubelet restarts the container, which boots
# a fresh server).  On TERM or INT (the pod deleted) it stops everything it started (s3-down.sh,
# or the boot in progress) and exits 0, so no ceph process outlives the pod.
set -euo pipefail

# the host's programs, whatever PATH the container's image sets
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
S3_PROG=s3-pod
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=s3-lib.sh
. "$here/s3-lib.sh"

usage() { echo "usage: s3-pod.sh [--probe] DIR PORT" >&2; exit 2; }
probe=0
[ "${1:-}" = --probe ] && { probe=1; shift; }
[ $# -eq 2 ] || usage
state=$1 port=$2
case "$port" in ''|*[!0-9]*|0*) echo "s3-pod: error: PORT '$port' is not a port number" >&2; exit 2 ;; esac
[[ "$state" = /* ]] || { echo "s3-pod: error: DIR '$state' is not an absolute path" >&2; exit 2; }
S3_DIR=$state/s3

if [ "$probe" = 1 ]; then
  # s3-up.sh writes DIR/s3/env last, once the user exists; then a ListBuckets signed with the
  # pod's keys must succeed.  The keys reach curl through its config on stdin, not its arguments.
  [ -f "$S3_DIR/env" ] || { echo "s3-pod: not ready: the server in $S3_DIR is still booting"; exit 1; }
  empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  code=$(printf 'user = "%s:%s"\n' "${DM_S3_ACCESS_KEY:-}" "${DM_S3_SECRET_KEY:-}" |
         curl -K - -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 5 \
           --aws-sigv4 aws:amz:us-east-1:s3 -H "x-amz-content-sha256: $empty" \
           "http://127.0.0.1:$port/" 2>/dev/null) || true
  [ "$code" = 200 ] || { echo "s3-pod: not ready: ListBuckets on http://127.0.0.1:$port/ got HTTP ${code:-000}"; exit 1; }
  exit 0
fi

mkdir -p "$state/tmp"
# bash's here-documents and ceph's tools write temporary files: keep them in the state folder
export TMPDIR=$state/tmp

up_pid='' nap_pid=''
# stop EXIT_CODE: end the boot in progress (s3-up.sh stops what it started on TERM) or the
# running server, then exit
stop() {
  trap '' TERM INT
  s3_msg "stopping the S3 server in $S3_DIR"
  [ -z "$nap_pid" ] || kill "$nap_pid" 2>/dev/null || true
  if [ -n "$up_pid" ]; then
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  DM_S3_STOP_GRACE=${DM_S3_STOP_GRACE:-5} "$here/s3-down.sh" "$S3_DIR" || exit 1
  s3_msg "stopped"
  exit "$1"
}
trap 'stop 0' TERM INT

# in the background, so that a TERM during the boot is handled at once (bash runs a trap only
# when the foreground command returns, and `wait` returns on a signal)
bash "$here/s3-up.sh" "$S3_DIR" --port "$port" --keys-from-env &
up_pid=$!
rc=0
wait "$up_pid" || rc=$?
up_pid=''
[ "$rc" = 0 ] || { s3_msg "error: s3-up.sh failed (exit $rc)"; exit 1; }
s3_msg "serving S3 on http://127.0.0.1:$port (state in $S3_DIR)"

while :; do
  for d in mon.a osd.0 client.rgw; do
    if ! s3_pid_of "$d" >/dev/null; then
      s3_msg "error: $d exited"
      s3_show_log "$S3_DIR/log/$d.log"
      s3_show_log "$S3_DIR/log/$d.out"
      stop 1
    fi
  done
  sleep 2 &
  nap_pid=$!
  wait "$nap_pid" || true
  nap_pid=''
done

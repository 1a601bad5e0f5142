#!/usr/bin/env bash
# Restart radosgw alone (after a test killed it, or while it runs) with the same
# ceph.conf and ports, wait until it answers, and update DM_TEST_S3_RGW_PID in
# DIR/env.  Prints the new pid.  The monitor and the OSD keep running.
#
# Usage: tests/servers/rgw-restart.sh DIR      (this is what DM_TEST_S3_RESTART runs)
# Environment: DM_S3_BOOT_TIMEOUT  seconds radosgw may take to answer (default 60)
set -euo pipefail

S3_PROG=rgw-restart
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=s3-lib.sh
. "$here/s3-lib.sh"

[ $# -eq 1 ] || { echo "usage: rgw-restart.sh DIR" >&2; exit 2; }
if [ ! -f "$1/env" ] || [ ! -f "$1/ceph.conf" ]; then
  echo "rgw-restart: error: '$1' holds no S3 server made by s3-up.sh" >&2
  exit 1
fi
S3_DIR=$(cd "$1" && pwd)
# shellcheck disable=SC1091
. "$S3_DIR/env"
s3_pid_of mon.a >/dev/null || s3_fail "the monitor is not running; start again with s3-up.sh" "$S3_DIR/log/mon.a.log"
s3_pid_of osd.0 >/dev/null || s3_fail "the OSD is not running; start again with s3-up.sh" "$S3_DIR/log/osd.0.log"

s3_stop_daemon client.rgw "${DM_S3_STOP_GRACE:-10}"
deadline=$((SECONDS + ${DM_S3_BOOT_TIMEOUT:-60}))
s3_start_rgw "$deadline"
if [ -n "${DM_TEST_S3_TLS_ENDPOINT:-}" ]; then
  s3_wait_rgw "$DM_TEST_S3_TLS_ENDPOINT/" "$deadline" client.rgw "$S3_DIR/log/client.rgw.log" "$S3_DIR/log/client.rgw.out" --cacert "$DM_TEST_S3_CA"
fi
pid=$(s3_pid_of client.rgw) || s3_fail "radosgw is gone" "$S3_DIR/log/client.rgw.log"
sed "s/^export DM_TEST_S3_RGW_PID=.*/export DM_TEST_S3_RGW_PID=$pid/" "$S3_DIR/env" >"$S3_DIR/env.tmp"
mv "$S3_DIR/env.tmp" "$S3_DIR/env"
echo "$pid"

#!/usr/bin/env bash
# Stop the S3 server that tests/servers/s3-up.sh started in DIR: radosgw, then the
# OSD, then the monitor; TERM first, KILL after a grace period.  Safe to run twice,
# and on a folder where nothing runs.  State stays in DIR (s3-up wipes it next time).
#
# Usage: tests/servers/s3-down.sh DIR
# Environment: DM_S3_STOP_GRACE  seconds each daemon gets after TERM (default 10)
set -euo pipefail

S3_PROG=s3-down
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=s3-lib.sh
. "$here/s3-lib.sh"

[ $# -eq 1 ] || { echo "usage: s3-down.sh DIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
S3_DIR=$(cd "$1" && pwd)
grace=${DM_S3_STOP_GRACE:-10}

for name in client.rgw osd.0 mon.a; do
  s3_stop_daemon "$name" "$grace"
done
left=
for name in client.rgw osd.0 mon.a; do
  pid=$(s3_pid_of "$name") && left+=" $name($pid)"
done
[ -z "$left" ] || { s3_msg "error: still running:$left"; exit 1; }
exit 0

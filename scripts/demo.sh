#!/usr/bin/env bash
# make demo: boot a local S3 server (Ceph RGW) on 127.0.0.1, seed data/ into it
# with dm-seed (each top-level folder becomes a bucket), verify every object
# against its file, and stop the server (KEEP=1 leaves it running).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dir=${DM_DEMO_DIR:-$PWD/$build/demo-s3}
seed="$build/bin/dm-seed"
[ -x "$seed" ] || { echo "demo: $seed is missing: run 'make demo' (it builds it)" >&2; exit 1; }

if [ -f "$dir/env" ]; then bash tests/servers/s3-down.sh "$dir" >/dev/null 2>&1 || true; fi
rm -rf "$dir"
echo "== booting a local S3 server (Ceph RADOS Gateway) in $dir"
bash tests/servers/s3-up.sh "$dir"
# shellcheck disable=SC1091
. "$dir/env"
stop() { bash tests/servers/s3-down.sh "$dir" >/dev/null 2>&1 || true; }
[ "${KEEP:-0}" = 1 ] || trap stop EXIT
export MC_HOST_local="$MC_HOST_dmtest"

echo "== dm-seed data/ local     (one bucket per top-level folder of data/)"
"$seed" --no-progress data/ local
echo "== dm-seed data/ local     (again: everything is already there)"
"$seed" --no-progress data/ local
echo "== what landed, each object checked against its file (dm-seed --verify -v)"
"$seed" --verify -v --no-progress data/ local

if [ "${KEEP:-0}" = 1 ]; then
  cat <<MSG
== the server keeps running at $DM_TEST_S3_ENDPOINT
   reach it:  export MC_HOST_local='$MC_HOST_dmtest'
              $seed data/ local
   stop it:   bash tests/servers/s3-down.sh $dir
MSG
else
  echo "== done; the server is stopped (KEEP=1 make demo leaves it running)"
fi

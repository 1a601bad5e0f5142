#!/usr/bin/env bash
# Fixture "node" set-up: the test bed with a node (tests/servers/k8s-up.sh DIR --node), and dm's
# image of this build (tests/servers/k8s-image.sh) imported into the node's containerd as
# localhost/dm:VERSION, named in DIR/env as DM_TEST_NODE_IMAGE.
# Usage: tests/cli/node-up.sh DIR      (DM_BUILD_DIR: the build whose bin/ goes into the image)
set -euo pipefail
dir=${1:?usage: node-up.sh DIR}
: "${DM_BUILD_DIR:?}"
servers=$(cd "$(dirname "${BASH_SOURCE[0]}")/../servers" && pwd)
t0=$(date +%s.%N)
bash "$servers/k8s-up.sh" "$dir" --node
t1=$(date +%s.%N)
if ! bash "$servers/k8s-image.sh" "$DM_BUILD_DIR" "$dir/image" ||
   ! version=$("$DM_BUILD_DIR/bin/dm-seed" --version | awk '{ print $2 }') ||
   ! (. "$dir/env" && $DM_TEST_NODE_IMPORT "$dir/image/dm" localhost/dm >"$dir/image/import.log" 2>&1); then
  cat "$dir/image/import.log" >&2 2>/dev/null || true
  echo "node-up.sh: error: dm's image could not be built or imported" >&2
  bash "$servers/k8s-down.sh" "$dir"
  exit 1
fi
echo "export DM_TEST_NODE_IMAGE=localhost/dm:$version" >>"$dir/env"
awk -v a="$t0" -v b="$t1" -v c="$(date +%s.%N)" \
  'BEGIN { printf "node-up.sh: test bed with node up in %.1fs, dm image built and imported in %.1fs\n", b - a, c - b }'

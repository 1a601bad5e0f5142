# Shared by the tests on the node (tests/node.cmake, fixture "node"): the node test bed's env
# (tests/servers/k8s-up.sh --node, plus DM_TEST_NODE_IMAGE: dm's image of this build, imported),
# a temp folder, assertions and a pod runner.
set -euo pipefail
: "${DM_BIN:?}" "${DM_TEST_WORK:?}" "${DM_SOURCE_DIR:?}"
[ -f "$DM_TEST_WORK/node/env" ] || { echo "FAIL: no $DM_TEST_WORK/node/env (fixture node not up?)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$DM_TEST_WORK/node/env"
T=$(mktemp -d "$DM_TEST_WORK/node-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

kc() { "$DM_TEST_KUBECTL" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# wait_pod NS NAME PHASE SECONDS: until the pod reaches PHASE (Running, Succeeded); a pod that
# reaches Failed, or a deadline passed, fails the test with the pod's description
wait_pod() {
  local ns=$1 name=$2 want=$3 deadline=$(( $(date +%s) + $4 )) phase
  while :; do
    phase=$(kc -n "$ns" get pod "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [ "$phase" = "$want" ] && return 0
    if [ "$phase" = Failed ] || [ "$(date +%s)" -ge "$deadline" ]; then
      kc -n "$ns" describe pod "$name" >&2 || true
      kc -n "$ns" logs "$name" >&2 || true
      fail "pod $ns/$name is ${phase:-absent}, expected $want"
    fi
    sleep 0.5
  done
}

# req BASE ACCESS SECRET METHOD PATH BODYFILE(or -): an S3 request signed by curl's own SigV4 (an
# independent client); prints the HTTP status, the reply in $T/reply.  The keys reach curl
# through its config on stdin, not its command line.
req() {
  local base=$1 access=$2 secret=$3 method=$4 path=$5 body=$6 sha data=()
  sha=$(sha256sum </dev/null | cut -d' ' -f1)
  if [ "$body" != - ]; then
    sha=$(sha256sum "$body" | cut -d' ' -f1)
    data=(--data-binary "@$body" -H "Content-Type: application/octet-stream")
  fi
  printf 'user = "%s:%s"\n' "$access" "$secret" |
    curl -K - -sS --max-time 30 -X "$method" --aws-sigv4 aws:amz:us-east-1:s3 \
      -H "x-amz-content-sha256: $sha" "${data[@]}" -o "$T/reply" -w '%{http_code}' "$base$path"
}

# Shared by the dm-seed integration tests: the test S3 server, an independent
# S3 client (the AWS CLI) to check what landed, and small assertions.
set -euo pipefail
: "${DM_BIN:?run through ctest}" "${DM_TEST_WORK:?run through ctest}"
. "$DM_TEST_WORK/s3/env"
SEED="$DM_BIN/dm-seed"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP=$(mktemp -d "$DM_TEST_WORK/seed.XXXXXX")
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
export DM_ALIASES="$TMP/no-aliases.yaml"   # the user's own alias file never leaks in
export MC_CONFIG_DIR="$TMP/no-mc"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# run_rc WANT CMD...: runs CMD, stdout to $TMP/out, stderr to $TMP/err, checks the exit code
run_rc() {
  local want=$1 rc=0
  shift
  "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout"; cat "$TMP/out"; echo "--- stderr"; cat "$TMP/err"
    fail "expected exit $want, got $rc: $*"
  fi
}

# shellcheck source=s3-client.sh
. "$HERE/s3-client.sh"   # s3cli, s3curl, keys_in

# a fresh bucket name for this test
new_bucket() { echo "t-$1-$$-$RANDOM"; }

# same_tree LOCAL BUCKET PREFIX: downloads with the AWS CLI and compares byte for byte
same_tree() {
  local dl="$TMP/dl.$RANDOM"
  mkdir -p "$dl"
  s3cli s3 cp --recursive --quiet "s3://$2/$3" "$dl" >/dev/null
  diff -r "$1" "$dl" >"$TMP/diff" 2>&1 || { head -20 "$TMP/diff"; fail "objects in $2/$3 differ from $1"; }
  local nlocal nremote
  nlocal=$(find -L "$1" -type f | wc -l)
  nremote=$(find "$dl" -type f | wc -l)
  [ "$nlocal" -eq "$nremote" ] || fail "$nlocal files but $nremote objects"
  rm -rf "$dl"
}

# json_get FILE EXPR: a value from a JSON document (python3 expression over d)
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# multipart_etag FILE PART_BYTES: the ETag of FILE uploaded in parts of PART_BYTES,
# MD5-of-part-MD5s-N, computed with Python's hashlib (independent of dm)
multipart_etag() {
  python3 - "$1" "$2" <<'PY'
import hashlib, sys
part = int(sys.argv[2])
digests, n = b"", 0
with open(sys.argv[1], "rb") as fh:
    while chunk := fh.read(part):
        digests += hashlib.md5(chunk).digest()
        n += 1
print(f"{hashlib.md5(digests).hexdigest()}-{n}")
PY
}

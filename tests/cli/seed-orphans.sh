#!/usr/bin/env bash
# A multipart upload left behind by a dm-seed killed with SIGKILL is found by the next run:
# --dry-run reports it, the rerun aborts it and says so ("aborted an unfinished multipart
# upload ... started TIME"), and another client's upload of a key no file maps to is
# reported and left alone.  Against the real RGW; uploads read back with the AWS CLI.
. "$(dirname "$0")/seed-lib.sh"

b=$(new_bucket orphans)
src="$TMP/src"
mkdir -p "$src"
head -c $((24 << 20)) /dev/urandom >"$src/big.bin"
echo small >"$src/small.txt"
s3cli s3api create-bucket --bucket "$b" >/dev/null
# another client's upload in progress, of a key that no local file maps to
other_id=$(s3cli s3api create-multipart-upload --bucket "$b" --key p/other.bin --query UploadId --output text)

# uploads_of KEY: the upload IDs of KEY in progress, sorted
uploads_of() {
  s3cli s3api list-multipart-uploads --bucket "$b" --prefix "$1" --query 'Uploads[].UploadId' --output json |
    python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin) or [])))'
}
# started KEY: when the upload of KEY started, as dm-seed prints it (UTC, to the second)
started() {
  s3cli s3api list-multipart-uploads --bucket "$b" --prefix "$1" --query 'Uploads[0].Initiated' --output text |
    python3 -c 'import sys,datetime; t=datetime.datetime.fromisoformat(sys.stdin.read().strip()); print(t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))'
}

# the first run: part 2 is held by the proxy, and dm-seed is killed while its upload is open
upstream=${DM_TEST_S3_ENDPOINT#http://}
coproc PROXY { exec python3 "$HERE/fault-proxy.py" "$upstream" "$TMP/proxy.port" 'PUT:partNumber=2&:delay=60' 2>"$TMP/proxy.log"; }
proxy_pid=$PROXY_PID
for _ in $(seq 100); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
[ -s "$TMP/proxy.port" ] || fail "fault proxy did not start: $(cat "$TMP/proxy.log")"
export MC_HOST_slow="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$(cat "$TMP/proxy.port")"
"$SEED" --no-progress -j 4 --part-size 5MiB --multipart-threshold 5MiB "$src" "slow/$b/p" >"$TMP/out1" 2>"$TMP/err1" &
pid=$!
for _ in $(seq 300); do [ -n "$(uploads_of p/big.bin)" ] && break; sleep 0.1; done
[ -n "$(uploads_of p/big.bin)" ] || fail "the first run never started the multipart upload: $(cat "$TMP/err1")"
sleep 1
kill -KILL "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 137 ] || fail "the first run was not killed (exit $rc): $(cat "$TMP/err1")"
kill "$proxy_pid" 2>/dev/null || true
wait "$proxy_pid" 2>/dev/null || true
orphan_id=$(uploads_of p/big.bin)
[ -n "$orphan_id" ] && [ "$orphan_id" = "${orphan_id% *}" ] || fail "not one upload of big.bin left: '$orphan_id'"
when=$(started p/big.bin)
other_when=$(started p/other.bin)
pass "SIGKILL mid-multipart leaves upload $orphan_id of p/big.bin"

# --dry-run reports both and touches neither
run_rc 0 "$SEED" --dry-run --no-progress "$src" "dmtest/$b/p"
grep -qxF "dm-seed: warning: '$b/p/big.bin': would abort an unfinished multipart upload started $when" "$TMP/err" ||
  fail "dry run did not report the orphan: $(cat "$TMP/err")"
grep -qxF "dm-seed: warning: '$b/p/other.bin': an unfinished multipart upload started $other_when is left as it is: no local file maps to it (upload ID $other_id)" "$TMP/err" ||
  fail "dry run did not report the other upload: $(cat "$TMP/err")"
[ "$(uploads_of p/big.bin)" = "$orphan_id" ] || fail "--dry-run aborted the upload"
pass "--dry-run reports both uploads and aborts nothing"

# the rerun aborts the orphan of its own key, reports it, and leaves the other client's
run_rc 0 "$SEED" --no-progress "$src" "dmtest/$b/p"
grep -qxF "dm-seed: warning: '$b/p/big.bin': aborted an unfinished multipart upload started $when" "$TMP/err" ||
  fail "the rerun did not report the abort: $(cat "$TMP/err")"
grep -qxF "dm-seed: warning: '$b/p/other.bin': an unfinished multipart upload started $other_when is left as it is: no local file maps to it (upload ID $other_id)" "$TMP/err" ||
  fail "the rerun did not report the other upload: $(cat "$TMP/err")"
[ -z "$(uploads_of p/big.bin)" ] || fail "the orphan of big.bin is still there: $(uploads_of p/big.bin)"
[ "$(uploads_of p/other.bin)" = "$other_id" ] || fail "the other client's upload was touched: '$(uploads_of p/other.bin)'"
s3cli s3 cp --quiet "s3://$b/p/big.bin" "$TMP/big.dl"
cmp -s "$src/big.bin" "$TMP/big.dl" || fail "big.bin differs from its object after the rerun"
pass "rerun: orphan aborted and reported, the other upload reported and kept, big.bin landed whole"

# a third run has nothing of its own left to abort
run_rc 0 "$SEED" --no-progress "$src" "dmtest/$b/p"
grep -q "aborted an unfinished" "$TMP/err" && fail "a third run aborted something: $(cat "$TMP/err")"
s3cli s3api abort-multipart-upload --bucket "$b" --key p/other.bin --upload-id "$other_id"
pass "third run: nothing left to abort"

#!/usr/bin/env bash
# dm-seed through the fault proxy (tests/cli/fault-proxy.py) between it and RGW:
# delays, connections reset after N bytes of the upload, 500s, 503 SlowDown bursts
# and truncated answers (after the server acted) on every kind of request.  Each
# round: exit 0, or exit 4 naming exactly what did not land; a rerun completes;
# every object's bytes checked with the AWS CLI; no multipart upload left.
. "$(dirname "$0")/hard-lib.sh"

src="$TMP/src"
small_tree "$src" 300
big_file "$src/d03/big-a.bin" 24
big_file "$src/d08/big-b.bin" 21
bytes=$(tree_bytes "$src")
nfiles=$(find "$src" -type f | wc -l)
upstream=${DM_TEST_S3_ENDPOINT#http://}
mp=(--part-size 5MiB --multipart-threshold 5MiB)
total_faults=0 runs=0 verified=0

# round NAME RULE...: seed through a proxy with RULEs, check, rerun through it, check
round() {
  local name=$1 b rc=0 how
  shift
  b=$(new_bucket "$name")
  # made beforehand: a SlowDown burst longer than the retries on the bucket's
  # creation rightly stops the run (exit 1); here the faults are for the transfer
  s3cli s3api create-bucket --bucket "$b" >/dev/null
  proxy_start "$name" "$upstream" "$@"
  export MC_HOST_flaky="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
  "$SEED" --no-progress -vv -j 8 "${mp[@]}" "$src" "flaky/$b" >"$TMP/out" 2>"$TMP/err" || rc=$?
  runs=$((runs + 1))
  case "$rc" in
    0) how="completed" ;;
    4) how="exit 4, $(exact_list "$src" "$b" "" "$TMP/err")" ;;
    *) cat "$TMP/err"; fail "$name: exit $rc (want 0 or 4)" ;;
  esac
  # the rerun goes through the same proxy (rules with counts left still bite)
  run_rc 0 "$SEED" --no-progress -j 8 "${mp[@]}" "$src" "flaky/$b"
  runs=$((runs + 1))
  proxy_stop "$name"
  same_tree "$src" "$b" ""
  verified=$((verified + bytes))
  local left
  left=$(uploads_left "$b")
  [ "$left" = 0 ] || fail "$name: $left multipart upload(s) left"
  local n
  n=$(proxy_faults "$name")
  [ "$n" -gt 0 ] || fail "$name: the proxy injected no fault"
  total_faults=$((total_faults + n))
  pass "$name: $n faults ($(proxy_tally "$name")); first run $how; rerun completed; $nfiles objects byte for byte; 0 uploads left"
}

# every kind of fault on every kind of request (first matching rule wins)
round mixed \
  'HEAD::truncate:1' \
  'GET:list-type:truncate:1' 'GET:list-type:delay=1:1' \
  'POST:uploads=:truncate:1' 'POST:uploads=:503:1' \
  'PUT:partNumber=2&:reset-after=65536:2' 'PUT:partNumber=3&:truncate:1' 'PUT:partNumber=4&:delay=2:1' \
  'PUT:partNumber=5&:500:1' \
  'POST:uploadId=:truncate:1' 'POST:uploadId=:reset:1' 'HEAD:big:truncate:1' \
  'PUT:/e1/:truncate:4' 'PUT:/e2/:reset-after=1000:6' 'PUT:/e3/:delay=1:3' 'PUT:/e4/:500:4' \
  'PUT::503:15'

# every try of both large files' initiates answered 500 (6 tries each): their parts,
# read and hashed while the initiate was tried, are dropped and their buffers given
# back; exit 4 names the two files, the small ones land, and the rerun completes
round noinit 'POST:uploads=:500:12'

# a SlowDown storm: the first 60 uploads answered 503, then resets for a while
round storm 'PUT::503:60' 'PUT::reset-after=4096:20'

pass "fault proxy: $total_faults faults injected, $runs runs, $verified bytes verified, 0 multipart uploads left"
echo "figures: faults=$total_faults ($(proxy_tally mixed storm)) runs=$runs bytes_verified=$verified uploads_left=0"

#!/usr/bin/env bash
# radosgw killed with SIGKILL in the middle of a dm-seed run (many small files and
# a multipart file in flight, -j 8) and restarted a second later: dm-seed retries,
# then completes or exits 4 naming exactly what did not land; a rerun completes;
# every object's bytes are checked with the AWS CLI; no multipart upload is left.
# Runs its own RGW (the shared one must not vanish under other tests).
. "$(dirname "$0")/hard-lib.sh"

own_server "$TMP/s3"
rgwlog="$DM_TEST_S3_DIR/log/client.rgw.log"
src="$TMP/src"
small_tree "$src" 600
big_file "$src/d05/big.bin" 48          # 6 parts of 8 MiB, in the middle of the key order
b=$(new_bucket kill)
bytes=$(tree_bytes "$src")

# kill radosgw as soon as it has answered the big file's CreateMultipartUpload:
# its parts are then being read and sent, and half the small files are still to go
"$SEED" --no-progress -vv -j 8 "$src" "dmtest/$b" >"$TMP/out" 2>"$TMP/err" &
seed=$!
for _ in $(seq 1500); do
  grep -q "POST /$b/d05/big.bin?uploads" "$rgwlog" 2>/dev/null && break
  kill -0 "$seed" 2>/dev/null || break
  sleep 0.02
done
kill -0 "$seed" 2>/dev/null || { cat "$TMP/err"; fail "dm-seed finished before radosgw could be killed"; }
grep -q "POST /$b/d05/big.bin?uploads" "$rgwlog" || fail "the multipart upload never started"
kill -9 "$DM_TEST_S3_RGW_PID"
sleep 1
$DM_TEST_S3_RESTART >/dev/null || fail "radosgw did not come back"
. "$DM_TEST_S3_DIR/env"
rc=0
wait "$seed" || rc=$?
# -vv logs each retry: the kill must have hit requests in flight
retries=$(grep -c "retrying" "$TMP/err" || true)
[ "$retries" -gt 0 ] || fail "no request was retried: the kill did not hit the run"
case "$rc" in
  0) pass "killed mid-run: $retries retries, then completed ($(tail -1 "$TMP/err"))" ;;
  4) how=$(exact_list "$src" "$b" "" "$TMP/err")
     pass "killed mid-run: $retries retries, then exit 4 with the exact list ($how)" ;;
  *) cat "$TMP/err"; fail "killed mid-run: exit $rc (want 0 or 4)" ;;
esac

# a rerun completes; every byte checked by an independent client; nothing lingers
run_rc 0 "$SEED" --no-progress -j 8 "$src" "dmtest/$b"
same_tree "$src" "$b" ""
left=$(uploads_left "$b")
[ "$left" = 0 ] || fail "$left multipart upload(s) left in $b"
pass "rerun completed; $bytes bytes in $(find "$src" -type f | wc -l) objects verified; 0 multipart uploads left"
echo "figures: rgw-kill runs=2 kills=1 retries=$retries first_exit=$rc bytes_verified=$bytes uploads_left=0"

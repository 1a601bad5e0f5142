#!/usr/bin/env bash
# radosgw killed with SIGKILL in the middle of a dm-seed run (many small files and
# a multipart file, -j 8; killed while a part is on the wire) and restarted a second
# later: dm-seed retries, then completes or exits 4 naming exactly what did not land;
# a rerun completes; every object's bytes are checked with the AWS CLI; no multipart
# upload is left.
# Runs its own RGW (the shared one must not vanish under other tests).
. "$(dirname "$0")/hard-lib.sh"

own_server "$TMP/s3"
rgwlog="$DM_TEST_S3_DIR/log/client.rgw.log"
src="$TMP/src"
small_tree "$src" 600
big_file "$src/d05/big.bin" 48          # 6 parts of 8 MiB, in the middle of the key order
b=$(new_bucket kill)
bytes=$(tree_bytes "$src")

# kill radosgw while a part of the big file is on the wire: after its CreateMultipartUpload
# (radosgw's log), as soon as a connection to radosgw holds more unsent or unread bytes than a
# small file has (kill-on-wire.py). A trigger on the log line alone raced: radosgw logs a request
# when it ends, and the parts can still be hashing (slowly, in the ASan build) when the small
# files are all done, so nothing was in flight while radosgw was down.
"$SEED" --no-progress -vv -j 8 "$src" "dmtest/$b" >"$TMP/out" 2>"$TMP/err" &
seed=$!
killed=$(python3 "$HERE/kill-on-wire.py" "$rgwlog" "POST /$b/d05/big.bin?uploads" \
  "${DM_TEST_S3_ENDPOINT##*:}" "$seed" "$DM_TEST_S3_RGW_PID") || true
case "$killed" in
  *queued*) ;;
  started) cat "$TMP/err"; fail "dm-seed finished before radosgw could be killed with a part in flight" ;;
  *) cat "$TMP/err"; fail "the multipart upload never started (or dm-seed ended before it)" ;;
esac
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

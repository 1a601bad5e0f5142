#!/usr/bin/env bash
# valgrind memcheck on representative dm-seed runs against RGW: a small tree
# with a multipart file (upload, skip-rerun, --verify, --delete, --json), faults
# through the proxy (retries, aborts, a lost initiate), an interrupted run, and
# the error exits (wrong secret, unreachable, TLS, partial failure).  Each must
# exit as it would without valgrind, with no memory error and nothing
# definitely lost (valgrind's own exit 99 otherwise).
. "$(dirname "$0")/hard-lib.sh"
command -v valgrind >/dev/null || fail "valgrind not installed (scripts/install-deps.sh)"

src="$TMP/src"
mkdir -p "$src/a/b"
for i in $(seq 30); do head -c $((i * 300)) /dev/urandom >"$src/a/f$i"; done
: >"$src/a/empty"
head -c 12M /dev/urandom >"$src/a/b/big.bin"
hostport=${DM_TEST_S3_ENDPOINT#http://}
tls_hostport=$(. "$DM_TEST_WORK/s3tls/env" && echo "${DM_TEST_S3_TLS_ENDPOINT#https://}")
mp=(--multipart-threshold 5MiB --part-size 5MiB -j 4 --no-progress)
runs=0

# vg WANT LABEL ARGS...: dm-seed under memcheck; WANT is the exit code (or "0|4")
vg() {
  local want=$1 label=$2 rc=0
  shift 2
  valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$TMP/vg.log" "$SEED" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  runs=$((runs + 1))
  if [ "$rc" = 99 ] || [ -s "$TMP/vg.log" ]; then
    cat "$TMP/vg.log"
    fail "$label: valgrind found errors or definite leaks"
  fi
  case "|$want|" in *"|$rc|"*) ;; *) cat "$TMP/err"; fail "$label: exit $rc, want $want" ;; esac
  echo "ok: $label: exit $rc, clean"
}

b=$(new_bucket vg)
vg 0 "upload (small files, empty file, 3-part file)" "${mp[@]}" "$src" "dmtest/$b"
same_tree "$src" "$b" ""
vg 0 "rerun: all skipped (multipart ETag recomputed)" "${mp[@]}" -v --json "$src" "dmtest/$b"
grep -q '"skipped": 32' "$TMP/out" || fail "rerun: $(cat "$TMP/out")"
echo changed >"$src/a/f1"
vg 4 "--verify finds the changed file" "${mp[@]}" --verify "$src" "dmtest/$b"
rm "$src/a/f2"
vg 0 "--delete and one re-upload" "${mp[@]}" --delete "$src" "dmtest/$b"

proxy_start vgp "$hostport" 'POST:uploads=:truncate:1' 'PUT:partNumber=2&:reset-after=10000:1' \
  'PUT:partNumber=3&:truncate:1' 'PUT::503:4' 'HEAD:big:truncate:1' 'PUT:f1:reset:2'
export MC_HOST_flaky="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
vg "0|4" "faults through the proxy" "${mp[@]}" "$src" "flaky/$(new_bucket vgf)"
proxy_stop vgp

# interrupted while the multipart upload is held: aborted, exit 130
proxy_start vgh "$hostport" 'PUT:partNumber=1&:delay=3:1'
export MC_HOST_held="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
hb=$(new_bucket vgi)
# valgrind runs the program in its own process: its pid is dm-seed's
valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
  --log-file="$TMP/vg.log" "$SEED" "${mp[@]}" "$src" "held/$hb" >"$TMP/out" 2>"$TMP/err" &
vgpid=$!
for _ in $(seq 300); do grep -q 'partNumber=1&' "$TMP/vgh.log" 2>/dev/null && break; sleep 0.05; done
grep -q 'partNumber=1&' "$TMP/vgh.log" || fail "interrupt: the upload never reached the proxy"
kill -INT "$vgpid"
rc=0
wait "$vgpid" || rc=$?
runs=$((runs + 1))
[ ! -s "$TMP/vg.log" ] && [ "$rc" != 99 ] || { cat "$TMP/vg.log"; fail "interrupted: valgrind found errors"; }
[ "$rc" = 130 ] || { cat "$TMP/err"; fail "interrupted: exit $rc, want 130"; }
echo "ok: interrupted mid-upload: exit 130, clean"
proxy_stop vgh
[ "$(uploads_left "$hb")" = 0 ] || fail "the interrupted run left a multipart upload"

export MC_HOST_bad="http://$DM_TEST_S3_ACCESS_KEY:wrong-secret@$hostport"
vg 1 "wrong secret" "${mp[@]}" "$src" "bad/$(new_bucket vgb)"
export MC_HOST_dead="http://a:b@127.0.0.1:9"
vg 1 "unreachable" "${mp[@]}" --retries 1 --connect-timeout 2s "$src" "dead/x-bucket"
export MC_HOST_tls="https://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@$tls_hostport"
vg 1 "TLS certificate not trusted" "${mp[@]}" "$src" "tls/$(new_bucket vgt)"
echo bad >"$src/a/$(printf 'bad\xff.txt')"
mkfifo "$src/a/pipe"
vg 4 "partial failure (non-UTF-8 name, fifo)" "${mp[@]}" "$src" "dmtest/$(new_bucket vgn)"
vg 2 "bad usage" --jobs 0 "$src" "dmtest/x-bucket"
pass "valgrind memcheck: $runs runs, no errors, nothing definitely lost"
echo "figures: valgrind runs=$runs errors=0 definitely_lost=0"

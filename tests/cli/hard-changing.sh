#!/usr/bin/env bash
# Files changing under dm-seed: a multipart file rewritten in place (same size),
# grown, or replaced by rename while its parts are being uploaded.  The fault
# proxy holds the first two parts (delay) so the change lands, deterministically,
# after some parts were read and before the others are.  dm-seed must notice
# (size, inode, mtime and ctime checked at every read) and fail the file: exit 4,
# one line naming the file and what changed, no object (never a mix of old and
# new bytes), no multipart upload left; a rerun uploads the new content.
. "$(dirname "$0")/hard-lib.sh"

upstream=${DM_TEST_S3_ENDPOINT#http://}
mp=(--part-size 5MiB --multipart-threshold 5MiB)
runs=0 cases=0

# object_is BUCKET KEY: "old", "new", "absent", or fails on anything else
object_is() {
  local got="$TMP/got" code
  rm -f "$got"
  code=$(s3fetch "$1" "$2" "$got")
  case "$code" in
    404) echo absent; return ;;
    200) ;;
    *) fail "GET $1/$2: HTTP $code" ;;
  esac
  if cmp -s "$got" "$TMP/old"; then echo old
  elif cmp -s "$got" "$TMP/new"; then echo new
  else fail "object $1/$2 is neither the old nor the new file ($(stat -c %s "$got") bytes): a mix"
  fi
}

# change CASE WHY: runs dm-seed on a 20 MiB file (4 parts), changes it CASE-wise
# while parts 1 and 2 are held by the proxy (parts 3 and 4 not read yet, so the
# change is always seen), checks that dm-seed failed the file with exit 4 and
# the line "dm-seed: error: 'FILE': WHY", and what landed
change() {
  local how=$1 want_why=$2 b src="$TMP/src-$1" rc=0 seed
  b=$(new_bucket "chg-$how")
  mkdir -p "$src"
  echo small >"$src/small.txt"
  big_file "$src/big.bin" 20
  cp -p "$src/big.bin" "$TMP/old"
  # the replacement is written beforehand (outside the tree, same file system), so
  # the change itself is one rename, well inside the 2 s the proxy holds the parts
  [ "$how" = replace ] && big_file "$TMP/big-replace.tmp" 20
  proxy_start "$how" "$upstream" 'PUT:partNumber=1&:delay=2:1' 'PUT:partNumber=2&:delay=2:1'
  export MC_HOST_slow="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
  # two workers: both held by the proxy with parts 1 and 2 read, parts 3-4 not yet
  "$SEED" --no-progress -j 2 "${mp[@]}" "$src" "slow/$b" >"$TMP/out" 2>"$TMP/err" &
  seed=$!
  local _
  for _ in $(seq 200); do
    grep -q 'partNumber=1&' "$TMP/$how.log" && grep -q 'partNumber=2&' "$TMP/$how.log" && break
    sleep 0.05
  done
  grep -q 'partNumber=2&' "$TMP/$how.log" || fail "$how: the parts never reached the proxy: $(cat "$TMP/err")"
  case "$how" in
    inplace) dd if=/dev/urandom of="$src/big.bin" bs=1M count=20 conv=notrunc status=none ;;
    # as rsync --inplace or cp -p leave it: new bytes, the old mtime (only ctime tells)
    keepmtime) dd if=/dev/urandom of="$src/big.bin" bs=1M count=20 conv=notrunc status=none
               touch -m -r "$TMP/old" "$src/big.bin" ;;
    grow)    head -c 3M /dev/urandom >>"$src/big.bin" ;;
    replace) mv "$TMP/big-replace.tmp" "$src/big.bin" ;;
  esac
  cp "$src/big.bin" "$TMP/new"
  wait "$seed" || rc=$?
  runs=$((runs + 1))
  proxy_stop "$how"
  local seen
  seen=$(object_is "$b" big.bin)
  [ "$rc" = 4 ] || { cat "$TMP/err"; fail "$how: exit $rc, wanted 4"; }
  # stderr: the file's line, the summary, the count of failed files; nothing else
  [ "$(wc -l <"$TMP/err")" = 3 ] && [ "$(sed -n 1p "$TMP/err")" = "dm-seed: error: '$src/big.bin': $want_why" ] &&
    sed -n 2p "$TMP/err" | grep -q '^dm-seed: 1 uploaded, 0 skipped, 1 failed, 0 deleted, ' &&
    [ "$(sed -n 3p "$TMP/err")" = "dm-seed: error: 1 file(s) failed: see the lines above" ] ||
    { cat "$TMP/err"; fail "$how: wanted \"dm-seed: error: '$src/big.bin': $want_why\", the summary, 1 file(s) failed"; }
  [ "$seen" = absent ] || fail "$how: failed, yet the object exists ($seen)"
  [ "$(s3fetch "$b" small.txt "$TMP/small")" = 200 ] && cmp -s "$TMP/small" "$src/small.txt" ||
    fail "$how: the unchanged file did not land"
  local left
  left=$(uploads_left "$b")
  [ "$left" = 0 ] || fail "$how: $left multipart upload(s) left"
  # the rerun (no proxy) uploads the new content
  run_rc 0 "$SEED" --no-progress "${mp[@]}" "$src" "dmtest/$b"
  runs=$((runs + 1))
  [ "$(object_is "$b" big.bin)" = new ] || fail "$how: the rerun did not upload the new content"
  cases=$((cases + 1))
  pass "$how during upload: exit 4, '$want_why', object $seen; rerun uploaded the new bytes; 0 uploads left"
}

change inplace "changed while uploading"
change keepmtime "changed while uploading"
change grow "changed while uploading (size 24117248, was 20971520)"
change replace "changed while uploading (replaced by another file)"
echo "figures: changing cases=$cases runs=$runs mixed_objects=0 uploads_left=0"

#!/usr/bin/env bash
# dm-seed acceptance 1 and 2: the awkward tree lands byte for byte (checked with
# the AWS CLI), a second run uploads nothing, one changed file is uploaded alone;
# a multipart file lands the same with any number of jobs.
. "$(dirname "$0")/seed-lib.sh"

src="$TMP/src"
n=$(python3 "$HERE/make-awkward-tree.py" "$src")
b=$(new_bucket core)

run_rc 0 "$SEED" --json --no-progress "$src" "dmtest/$b/seed"
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq "$n" ] || fail "expected $n uploads: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["failed"]')" -eq 0 ] || fail "failures: $(cat "$TMP/out")"
grep -q "$n uploaded, 0 skipped, 0 failed" "$TMP/err" || fail "summary line missing: $(cat "$TMP/err")"
same_tree "$src" "$b" "seed"
# the 70 MiB file went up in parts: its ETag is MD5-of-part-MD5s-N
etag=$(s3cli s3api head-object --bucket "$b" --key "seed/big file.bin" --query ETag --output text)
case "$etag" in *-*) ;; *) fail "big file.bin was not uploaded multipart (ETag $etag)";; esac
pass "first run: $n files landed byte for byte"

run_rc 0 "$SEED" --json --no-progress "$src" "dmtest/$b/seed"
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq 0 ] || fail "second run uploaded: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["skipped"]')" -eq "$n" ] || fail "second run did not skip all: $(cat "$TMP/out")"
pass "second run: 0 uploads, $n skipped"

# same size, new bytes: only the ETag tells
printf 'HELLO' | dd of="$src/sub dir/a b.txt" bs=1 seek=0 conv=notrunc status=none
run_rc 0 "$SEED" -v --no-progress "$src" "dmtest/$b/seed"
[ "$(grep -c '^uploaded ' "$TMP/out")" -eq 1 ] || fail "expected exactly 1 upload: $(cat "$TMP/out")"
grep -qx "uploaded $b/seed/sub dir/a b.txt" "$TMP/out" || fail "wrong file uploaded: $(cat "$TMP/out")"
same_tree "$src" "$b" "seed"
pass "one changed file: exactly 1 upload"

# a changed multipart file is found too
printf 'X' | dd of="$src/big file.bin" bs=1 seek=1000 conv=notrunc status=none
run_rc 0 "$SEED" -v --no-progress "$src" "dmtest/$b/seed"
[ "$(grep -c '^uploaded ' "$TMP/out")" -eq 1 ] || fail "expected exactly 1 upload: $(cat "$TMP/out")"
grep -qx "uploaded $b/seed/big file.bin" "$TMP/out" || fail "big file not re-uploaded: $(cat "$TMP/out")"
pass "changed multipart file re-uploaded alone"

# parts go in batches of up to eight into a pool of 40 MiB of buffers (8 of
# 5 MiB here, never more than jobs); a batch starts when half the pool is free
# and takes the parts there are buffers for, the rest queued as a batch of its
# own: with 1, 3, 6 and 9 jobs the pool holds 1, 3, 6 and 8 buffers, and a
# 12-part file goes in batches of 1, 2 or 3, 3 to 6, and 8 then 4 parts; every
# way lands the same bytes with the same MD5-of-part-MD5s-12
mp="$TMP/mp"
mkdir -p "$mp"
head -c $((58 * 1024 * 1024)) /dev/urandom >"$mp/parts.bin"
want=$(multipart_etag "$mp/parts.bin" $((5 * 1024 * 1024)))
for j in 1 3 6 9; do
  run_rc 0 "$SEED" --no-progress -j "$j" --part-size 5MiB "$mp" "dmtest/$b/j$j"
  etag=$(s3cli s3api head-object --bucket "$b" --key "j$j/parts.bin" --query ETag --output text | tr -d '"')
  [ "$etag" = "$want" ] || fail "-j $j: ETag $etag, expected $want"
  same_tree "$mp" "$b" "j$j"
done
pass "a 12-part file with -j 1, 3, 6 and 9: ETag $want and the same bytes each time"
echo "seed-core: all passed"

#!/usr/bin/env bash
# An object larger than 5 GiB (S3's single-PUT limit): a 5.25 GiB file goes up
# in 672 parts of 8 MiB, its ETag is MD5-of-part-MD5s-672 computed here with
# Python's hashlib, its size matches, ranged GETs at the start, across the 5 GiB
# mark and at the end return the file's bytes, and a rerun skips it.
# The file is sparse with random bytes written at those places, so it costs
# little disk; the server is our own, sized for it.
. "$(dirname "$0")/hard-lib.sh"

DM_S3_MEMSTORE_BYTES=$((7 << 30)) own_server "$TMP/s3"
src="$TMP/src"
mkdir -p "$src"
f="$src/huge.bin"
size=$(( (5 << 30) + (256 << 20) ))
truncate -s "$size" "$f"
offsets="0 $(( (5 << 30) - (1 << 20) )) $(( size - (1 << 20) ))"
for off in $offsets; do
  head -c $((1 << 20)) /dev/urandom | dd of="$f" bs=1M seek=$((off >> 20)) conv=notrunc status=none
done
b=$(new_bucket huge)

run_rc 0 "$SEED" --no-progress --json "$src" "dmtest/$b"
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq 1 ] || fail "not uploaded: $(cat "$TMP/out")"

want=$(multipart_etag "$f" $((8 << 20)))
head=$(s3curl "/$b/huge.bin" -I)
got_etag=$(printf '%s' "$head" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: "\(.*\)"$/\1/p')
got_size=$(printf '%s' "$head" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ength: //p')
[ "$got_size" = "$size" ] || fail "object is '$got_size' bytes, file is $size"
[ "$got_etag" = "$want" ] || fail "ETag '$got_etag', computed '$want'"
pass "5.25 GiB object: size $size, ETag $want"

for off in $offsets; do
  s3curl "/$b/huge.bin" -r "$off-$((off + (1 << 20) - 1))" -o "$TMP/range"
  dd if="$f" bs=1M skip=$((off >> 20)) count=1 status=none | cmp -s - "$TMP/range" ||
    fail "bytes at offset $off differ"
done
pass "ranged GETs at 0, across 5 GiB and at the end match the file"

run_rc 0 "$SEED" --no-progress --json "$src" "dmtest/$b"
[ "$(json_get "$TMP/out" 'd["skipped"]')" -eq 1 ] || fail "rerun did not skip: $(cat "$TMP/out")"
pass "rerun skips it (ETag recomputed from the part-size rule)"
echo "seed-huge: all passed"

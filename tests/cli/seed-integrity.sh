#!/usr/bin/env bash
# dm-seed's integrity claims, each checked from outside dm (tests/mutants/run.sh
# breaks each one in a copy of the tree and shows this test failing):
#  1. every PUT and every UploadPart carries a Content-MD5 equal to the MD5 of
#     the bytes on the wire (the fault proxy logs both for every request);
#  2. the ETag of a finished upload is checked: a proxy that alters it in the
#     reply (PUT, CompleteMultipartUpload, the HEAD after it) fails the file
#     with exit 4 and an exact message; the object itself is intact;
#  3. --verify compares content: an object overwritten with the same number of
#     different bytes is named (exit 4);
#  4. a file whose size is an exact multiple of the part size has exactly
#     size / part-size parts: its ETag equals one computed with Python's
#     hashlib, with the "-N" count.
. "$(dirname "$0")/hard-lib.sh"

upstream=${DM_TEST_S3_ENDPOINT#http://}
mib=$((1 << 20))
mp=(--part-size 5MiB --multipart-threshold 5MiB)

# md5_hex FILE / md5_b64 FILE: the file's MD5 (Python's hashlib, not dm)
md5_hex() { python3 -c 'import hashlib,sys; print(hashlib.md5(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }
# head_etag BUCKET KEY: the object's ETag as the server tells it (curl, without quotes)
head_etag() {
  s3curl "/$1/$2" -I --fail | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p'
}
# errors FILE: dm-seed's error lines, sorted
errors() { grep '^dm-seed: error: ' "$1" | LC_ALL=C sort; }
# through NAME RULE...: a proxy NAME (rules optional) in front of RGW as alias "via"
through() {
  local name=$1
  shift
  proxy_start "$name" "$upstream" "$@"
  export MC_HOST_via="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
}

src="$TMP/src"
mkdir -p "$src/sub"
printf 'hello\n' >"$src/a.txt"
: >"$src/empty.txt"
head -c 70000 /dev/urandom >"$src/sub/b.bin"
head -c $((10 * mib)) /dev/urandom >"$src/ten.bin"          # 2 parts of 5 MiB exactly
head -c $((15 * mib)) /dev/urandom >"$src/sub/fifteen.bin"  # 3 parts exactly
head -c $((11 * mib + 3)) /dev/urandom >"$src/eleven.bin"   # 3 parts, the last 1 MiB + 3

# ---- 1. Content-MD5 on every PUT and every part, equal to the bytes' MD5 ----
b=$(new_bucket md5)
s3cli s3api create-bucket --bucket "$b" >/dev/null
through md5
run_rc 0 "$SEED" --no-progress -j 4 "${mp[@]}" "$src" "via/$b"
proxy_stop md5
python3 - "$TMP/md5.log" "$b" <<'PY' || fail "Content-MD5 check: $(cat "$TMP/md5.log")"
import re, sys
log, bucket = sys.argv[1], sys.argv[2]
singles, parts, bad = set(), 0, []
for line in open(log):
    m = re.match(r"^PUT (/\S+)(.*) -> ", line)
    if not m:
        continue
    path, rest = m.group(1), m.group(2)
    f = dict(kv.split("=", 1) for kv in rest.split())
    key = path.split("?")[0]
    if f["content-md5"] != f["md5"]:
        bad.append(f"{path}: Content-MD5 {f['content-md5']}, body MD5 {f['md5']}")
    if "partNumber=" in path:
        parts += 1
    else:
        singles.add(key)
if bad:
    sys.exit("\n".join(bad))
# the empty file too: the MD5 of nothing (1B2M2Y8AsgTpgAmY7PhCfg==)
want = {f"/{bucket}/a.txt", f"/{bucket}/empty.txt", f"/{bucket}/sub/b.bin"}
if singles != want:
    sys.exit(f"single PUTs with a body: {sorted(singles)}, want {sorted(want)}")
if parts != 2 + 3 + 3:
    sys.exit(f"{parts} UploadPart requests, want 8")
print(f"ok: {len(singles)} PUTs and {parts} parts, each with the Content-MD5 of its bytes")
PY
same_tree "$src" "$b" ""
pass "Content-MD5: every PUT and UploadPart carried the MD5 of the bytes the proxy saw"

# ---- 4. exact multiples of the part size: N parts, not N+1 ----
for f in ten.bin:2 sub/fifteen.bin:3 eleven.bin:3; do
  key=${f%:*} n=${f##*:}
  want=$(multipart_etag "$src/$key" $((5 * mib)))
  got=$(head_etag "$b" "$key")
  [ "$got" = "$want" ] || fail "$key: ETag $got, hashlib computes $want"
  case "$got" in *-"$n") ;; *) fail "$key: ETag $got does not end in -$n" ;; esac
done
# the rerun recomputes the same ETags locally and skips every file
run_rc 0 "$SEED" --no-progress -j 4 "${mp[@]}" "$src" "dmtest/$b"
grep -q '^dm-seed: 0 uploaded, 6 skipped, 0 failed' "$TMP/err" || fail "rerun: $(cat "$TMP/err")"
run_rc 0 "$SEED" --verify --no-progress "${mp[@]}" "$src" "dmtest/$b"
grep -q '^dm-seed: 6 verified, 0 failed' "$TMP/err" || fail "verify: $(cat "$TMP/err")"
pass "part count: 10 MiB, 15 MiB and 11 MiB + 3 in 5 MiB parts have the ETags hashlib computes (-2, -3, -3); rerun skips all, --verify passes"

# ---- 2. an ETag altered in the reply fails the file; the object is intact ----
b=$(new_bucket etag)
s3cli s3api create-bucket --bucket "$b" >/dev/null
et="$TMP/et"
mkdir -p "$et"
printf 'etag check\n' >"$et/small.txt"
head -c $((10 * mib)) /dev/urandom >"$et/big.bin"
through etag "PUT:/$b/small.txt:flip-etag" "POST:uploadId=:flip-etag" "HEAD:/$b/big.bin:flip-etag"
run_rc 4 "$SEED" --no-progress -j 4 "${mp[@]}" "$et" "via/$b"
proxy_stop etag
# the altered ETag is the real one with its first character's low bit flipped
alter() { python3 -c 'import sys; e=sys.argv[1]; print(chr(ord(e[0]) ^ 1) + e[1:])' "$1"; }
small=$(md5_hex "$et/small.txt")
big=$(multipart_etag "$et/big.bin" $((5 * mib)))
cat >"$TMP/want" <<EOF
dm-seed: error: '$et/big.bin': ETag after upload is $(alter "$big"), expected $big
dm-seed: error: '$et/small.txt': ETag after upload is $(alter "$small"), expected $small
dm-seed: error: 2 file(s) failed: see the lines above
EOF
errors "$TMP/err" >"$TMP/got"
diff "$TMP/want" "$TMP/got" || fail "altered ETags: the errors differ from the expected lines above"
[ "$(grep -c -- '-> flip-etag$' "$TMP/etag.log")" -ge 2 ] || fail "the proxy altered fewer than 2 ETags: $(cat "$TMP/etag.log")"
# the server stored the right bytes: only the reply was altered
for k in small.txt big.bin; do
  [ "$(s3fetch "$b" "$k" "$TMP/obj")" = 200 ] || fail "$k: not in the bucket after the altered reply"
  cmp -s "$TMP/obj" "$et/$k" || fail "$k: the object differs from the file"
done
[ "$(uploads_left "$b")" = 0 ] || fail "a multipart upload was left behind"
run_rc 0 "$SEED" --no-progress "${mp[@]}" "$et" "dmtest/$b"
grep -q '^dm-seed: 0 uploaded, 2 skipped, 0 failed' "$TMP/err" || fail "rerun after the altered ETags: $(cat "$TMP/err")"
pass "altered ETag (PUT, CompleteMultipartUpload/HEAD): exit 4 naming both files with the two ETags; objects intact; rerun skips both"

# ---- 3. --verify finds an object of the same size with other bytes ----
b=$(new_bucket verify)
run_rc 0 "$SEED" --no-progress "${mp[@]}" "$src" "dmtest/$b"
printf 'HELLO\n' >"$TMP/same-size"
s3curl "/$b/a.txt" --fail -X PUT --data-binary "@$TMP/same-size" -o /dev/null
head -c $((10 * mib)) /dev/urandom >"$TMP/same-size-big"
s3curl "/$b/ten.bin" --fail -X PUT --data-binary "@$TMP/same-size-big" -o /dev/null
obj_small=$(md5_hex "$TMP/same-size")
obj_big=$(md5_hex "$TMP/same-size-big")
run_rc 4 "$SEED" --verify --no-progress "${mp[@]}" "$src" "dmtest/$b"
cat >"$TMP/want" <<EOF
dm-seed: error: '$src/a.txt': object differs (size 6, ETag $obj_small; file: size 6, MD5 $(md5_hex "$src/a.txt"))
dm-seed: error: '$src/ten.bin': object differs (size $((10 * mib)), ETag $obj_big; file: size $((10 * mib)), ETag $(multipart_etag "$src/ten.bin" $((5 * mib))))
dm-seed: error: 2 file(s) failed: see the lines above
EOF
errors "$TMP/err" >"$TMP/got"
diff "$TMP/want" "$TMP/got" || fail "--verify: the errors differ from the expected lines above"
grep -q '^dm-seed: 4 verified, 2 failed' "$TMP/err" || fail "--verify summary: $(cat "$TMP/err")"
pass "--verify: same-size objects with other bytes named (a single PUT and a multipart file), exit 4"

#!/usr/bin/env bash
# Bits flipped in transit by the fault proxy (tests/cli/fault-proxy.py), in
# request bodies and in replies.  A flipped PUT or UploadPart body is refused by
# RGW (BadDigest: it does not match the Content-MD5); dm-seed reads the file
# again and resends, within --retries, with one "retrying" line a time at -v.
# A flipped reply (a listing, an ETag) never makes dm-seed call a file
# uploaded that is not.  After every run, every object in the bucket is
# downloaded with curl's own SigV4 and must equal its file byte for byte (nothing
# corrupted ever lands); a file that is missing must be named; a rerun completes.
. "$(dirname "$0")/hard-lib.sh"

src="$TMP/src"
small_tree "$src" 24
big_file "$src/d03/big-a.bin" 12
big_file "$src/d07/big-b.bin" 11
nfiles=$(find "$src" -type f | wc -l)
upstream=${DM_TEST_S3_ENDPOINT#http://}
mp=(--part-size 5MiB --multipart-threshold 5MiB)
flips=0 runs=0 retried=0

# intact BUCKET [all]: every object in BUCKET equals its file, downloaded with
# curl's own SigV4 (missing ones are the failure list's business; with "all",
# every file must have its object); prints how many objects were compared
intact() {
  local dl="$TMP/intact.$RANDOM" key
  mkdir -p "$dl"
  s3curl "/$1?list-type=2&max-keys=1000" --fail >"$dl.xml" || fail "cannot list $1"
  python3 -c 'import re,sys,html; print("\n".join(html.unescape(k) for k in re.findall(r"<Key>([^<]*)</Key>", open(sys.argv[1]).read())))' \
    "$dl.xml" >"$dl.keys"
  while IFS= read -r key; do
    [ -n "$key" ] || continue
    mkdir -p "$dl/$(dirname "$key")"
    [ "$(s3fetch "$1" "$key" "$dl/$key")" = 200 ] || fail "$1/$key: listed but cannot be downloaded"
  done <"$dl.keys"
  python3 - "$src" "$dl" "${2:-}" <<'PY' || fail "$1: the objects differ from the files"
import os, sys
src, dl, want_all = sys.argv[1:4]
n = 0
for root, _, files in os.walk(dl):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), dl)
        mine = os.path.join(src, rel)
        if not os.path.isfile(mine):
            sys.exit(f"{rel}: an object with no file")
        if open(mine, "rb").read() != open(os.path.join(root, f), "rb").read():
            sys.exit(f"{rel}: the object differs from the file")
        n += 1
if want_all:
    nfiles = sum(len(fs) for _, _, fs in os.walk(src))
    if n != nfiles:
        sys.exit(f"{n} objects for {nfiles} files")
print(n)
PY
  rm -rf "$dl" "$dl.xml" "$dl.keys"
}

# mkbucket NAME: a fresh, empty bucket (made beforehand, so the faults are for the transfer)
mkbucket() {
  local b
  b=$(new_bucket "$1")
  s3curl "/$b" --fail -X PUT -o /dev/null || fail "cannot create bucket $b"
  echo "$b"
}

# seed_via NAME BUCKET [DM-SEED OPTIONS...] -- RULE...: one run through a proxy; rc in $rc
seed_via() {
  local name=$1 b=$2 opts=()
  shift 2
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  proxy_start "$name" "$upstream" "$@"
  export MC_HOST_flaky="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$PROXY_PORT"
  rc=0
  "$SEED" --no-progress -v -j 8 "${mp[@]}" "${opts[@]}" "$src" "flaky/$b" >"$TMP/out" 2>"$TMP/err" || rc=$?
  proxy_stop "$name"
  runs=$((runs + 1))
  flips=$((flips + $(proxy_faults "$name")))
}

# finish NAME BUCKET: nothing corrupted landed, no upload left, a clean rerun
# completes; prints how many objects were checked (run in $(...): count the rerun outside)
finish() {
  local n
  n=$(intact "$2")
  [ "$(uploads_left "$2")" = 0 ] || fail "$1: a multipart upload was left behind"
  run_rc 0 "$SEED" --no-progress -j 8 "${mp[@]}" "$src" "dmtest/$2"
  intact "$2" all >/dev/null
  echo "$n"
}

# ---- request bodies: BadDigest is retried with a fresh read ----
b=$(mkbucket flip)
seed_via body "$b" --retries 5 -- 'PUT:/d01/:flip:2' 'PUT:big-a.bin?partNumber=2&:flip:2'
[ "$rc" = 0 ] || { cat "$TMP/err"; fail "flipped bodies: exit $rc, want 0 (every BadDigest retried)"; }
n=$(grep -c -- '-> flip$' "$TMP/body.log")
[ "$n" = 4 ] || fail "the proxy flipped $n bodies, want 4"
# one retry line per flipped body (a retry may be flipped again while the rule has counts left)
r=$(grep -c "^dm-seed: retrying .*(read again from the file, [12] of 5): .*the server rejected the bytes (BadDigest: Content-MD5 did not match)$" "$TMP/err" || true)
[ "$r" = 4 ] || fail "4 bodies flipped, $r retries seen: $(cat "$TMP/err")"
grep -q "^dm-seed: retrying part 2 of '$src/d03/big-a.bin' (read again from the file, 2 of 5): " "$TMP/err" ||
  fail "part 2 of big-a.bin was not retried a second time: $(cat "$TMP/err")"
retried=$((retried + r))
# RGW refused every flipped body: the flipped requests' MD5 differs from their Content-MD5
python3 - "$TMP/body.log" <<'PY' || fail "a flipped body was not the one refused"
import re, sys
for line in open(sys.argv[1]):
    if line.rstrip().endswith("-> flip"):
        f = dict(kv.split("=", 1) for kv in re.match(r"^\S+ \S+ (.*) -> ", line).group(1).split())
        if f["md5"] != f["content-md5"]:
            sys.exit(f"the proxy saw a damaged body before it flipped one: {line}")
PY
m=$(finish body "$b")
runs=$((runs + 1))
pass "flipped bodies: 4 bits flipped (PUTs under d01/, part 2 of big-a.bin twice), 4 retries with a fresh read, exit 0; $m objects intact; rerun completed"

# ---- more flips than --retries: the file fails, nothing of it lands ----
b=$(mkbucket over)
seed_via over "$b" --retries 2 -- 'PUT:/d02/:flip' 'PUT:big-b.bin?partNumber=1&:flip'
[ "$rc" = 4 ] || { cat "$TMP/err"; fail "flips beyond --retries: exit $rc, want 4"; }
{
  (cd "$src" && find d02 -type f) | while read -r f; do
    echo "dm-seed: error: '$src/$f': '$b/$f': the server rejected the bytes (BadDigest: Content-MD5 did not match)"
  done
  echo "dm-seed: error: '$src/d07/big-b.bin': part 1: '$b/d07/big-b.bin': the server rejected the bytes (BadDigest: Content-MD5 did not match)"
  echo "dm-seed: error: $(($(find "$src/d02" -type f | wc -l) + 1)) file(s) failed: see the lines above"
} | LC_ALL=C sort >"$TMP/want"
grep '^dm-seed: error: ' "$TMP/err" | LC_ALL=C sort >"$TMP/got"
diff "$TMP/want" "$TMP/got" || fail "flips beyond --retries: the errors differ from the expected lines"
# each failed file was sent 1 + 2 times
tries=$(grep -c -- '-> flip$' "$TMP/over.log")
[ "$tries" = $((3 * ($(find "$src/d02" -type f | wc -l) + 1))) ] || fail "$tries flipped sends, want 3 per failed file"
for f in $(cd "$src" && find d02 -type f) d07/big-b.bin; do
  [ "$(s3fetch "$b" "$f" "$TMP/obj")" = 404 ] || fail "$f: an object landed although every send was damaged"
done
m=$(finish over "$b")
runs=$((runs + 1))
pass "flips beyond --retries 2: exit 4 naming exactly the $(($(wc -l <"$TMP/want") - 1)) files, 3 sends each, none of them in the bucket; $m objects intact; rerun completed"

# ---- replies: a listing's ETag, a listing's bytes, PUT and part ETags, a CompleteMultipartUpload result ----
b=$(new_bucket reply)
run_rc 0 "$SEED" --no-progress -j 8 "${mp[@]}" "$src" "dmtest/$b"
seed_via listetag "$b" -- 'GET:list-type:flip-etag:1'
[ "$rc" = 0 ] || { cat "$TMP/err"; fail "a listing with one altered ETag: exit $rc, want 0"; }
grep '^uploaded ' "$TMP/out" >"$TMP/up" || true
[ "$(cat "$TMP/up")" = "uploaded $b/d00/e0/f00000.bin" ] || fail "altered listing ETag: uploads $(cat "$TMP/up"), want the first key only"
intact "$b" >/dev/null
seed_via listbits "$b" -- 'GET:list-type:flip-reply:1'
case "$rc" in
  0 | 1) how="exit $rc" ;;
  4) how="exit 4, $(exact_list "$src" "$b" "" "$TMP/err")" ;;
  *) cat "$TMP/err"; fail "a listing with a flipped bit: exit $rc" ;;
esac
intact "$b" >/dev/null
list_how=$how

b=$(mkbucket put)
seed_via replies "$b" -- 'PUT:/d04/:flip-etag:2' 'PUT:big-a.bin?partNumber=1&:flip-etag:1' \
  'POST:big-b.bin?uploadId=:flip-reply:1'
[ "$rc" = 4 ] || { cat "$TMP/err"; fail "altered reply ETags: exit $rc, want 4"; }
how=$(exact_list "$src" "$b" "" "$TMP/err")
[ "$(grep -c "^dm-seed: error: '$src/d04/[^']*': ETag after upload is [0-9a-g\`]*, expected [0-9a-f]*$" "$TMP/err")" = 2 ] ||
  fail "two PUT replies altered: $(cat "$TMP/err")"
grep -q "^dm-seed: error: '$src/d03/big-a.bin': part 1: ETag [0-9a-g\`]*, expected [0-9a-f]*$" "$TMP/err" ||
  fail "part 1 of big-a.bin: $(cat "$TMP/err")"
[ "$(s3fetch "$b" d03/big-a.bin "$TMP/obj")" = 404 ] || fail "big-a.bin landed although a part's ETag was wrong"
m=$(finish replies "$b")
runs=$((runs + 1))
pass "flipped replies: listing ETag (1 file re-uploaded), listing bit ($list_how), PUT ETags and a part ETag (exit 4: $how), Complete result; $m objects intact; reruns completed"

pass "corruption in transit: $flips bits flipped, $retried BadDigest retries, $runs runs; every object intact"
echo "figures: flips=$flips retries=$retried runs=$runs files=$nfiles objects_corrupted=0"

#!/usr/bin/env bash
# Smoke test of the test S3 server with an independent client (curl's own SigV4
# signer, not libdm): bucket create, put, list, get back byte for byte, and that
# a wrong Content-MD5 (400 BadDigest) and a wrong secret (403) are refused.
#
# Usage: tests/servers/s3-smoke.sh [DIR] [--tls]
#   DIR defaults to $DM_TEST_WORK/s3 (the ctest fixture's server); --tls talks to
#   DM_TEST_S3_TLS_ENDPOINT and verifies it against DM_TEST_S3_CA.
set -euo pipefail

dir='' tls=0
for a in "$@"; do
  case "$a" in
    --tls) tls=1 ;;
    *) dir=$a ;;
  esac
done
dir=${dir:-${DM_TEST_WORK:?set DM_TEST_WORK or pass the server folder}/s3}
[ -f "$dir/env" ] || { echo "s3-smoke: error: no '$dir/env'; start the server with tests/servers/s3-up.sh $dir" >&2; exit 1; }
# The machine-wide CA settings must not decide which CA curl trusts here.
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR AWS_CA_BUNDLE REQUESTS_CA_BUNDLE
# shellcheck disable=SC1091
. "$dir/env"

endpoint=$DM_TEST_S3_ENDPOINT
tlsargs=()
if [ "$tls" = 1 ]; then
  endpoint=${DM_TEST_S3_TLS_ENDPOINT:?the server in $dir was not started with --tls}
  tlsargs=(--cacert "$DM_TEST_S3_CA")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "s3-smoke: FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "s3-smoke: ok: $*"; }
# expect WANT GOT WHAT DETAIL: pass or fail one check on an HTTP status
expect() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: HTTP $2 (want $1): $4"; fi; }

empty_sha=$(sha256sum </dev/null | cut -d' ' -f1)
# req SECRET METHOD PATH BODYFILE(or -) [CURL ARGS...]: prints the HTTP status;
# the reply body lands in $work/reply, the headers in $work/headers.
req() {
  local secret=$1 method=$2 path=$3 body=$4; shift 4
  local sha=$empty_sha data=()
  if [ "$body" != - ]; then
    sha=$(sha256sum "$body" | cut -d' ' -f1)
    data=(--data-binary "@$body" -H "Content-Type: application/octet-stream")
  fi
  curl -sS "${tlsargs[@]}" --max-time 30 -X "$method" \
    --aws-sigv4 "aws:amz:$DM_TEST_S3_REGION:s3" --user "$DM_TEST_S3_ACCESS_KEY:$secret" \
    -H "x-amz-content-sha256: $sha" "${data[@]}" "$@" \
    -D "$work/headers" -o "$work/reply" -w '%{http_code}' "$endpoint$path"
}
S=$DM_TEST_S3_SECRET_KEY

bucket=dm-smoke-$$-$RANDOM
code=$(req "$S" PUT "/$bucket" -)
expect 200 "$code" "create bucket $bucket" "$(cat "$work/reply")"

# 1 MiB and a bit of random bytes, so that nothing text-like could hide a mangling
head -c 1048583 /dev/urandom >"$work/object"
size=$(stat -c %s "$work/object")
md5=$(md5sum "$work/object" | cut -d' ' -f1)
code=$(req "$S" PUT "/$bucket/dir/object.bin" "$work/object")
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *"\{0,1\}\([0-9a-f]*\)"\{0,1\}.*/\1/p' "$work/headers" | tr -d '\r')
if [ "$code" = 200 ] && [ "$etag" = "$md5" ]; then pass "put object ($size bytes, ETag = MD5)"
else fail "put object: HTTP $code, ETag '$etag', MD5 $md5: $(cat "$work/reply")"; fi

code=$(req "$S" GET "/$bucket?list-type=2" -)
if [ "$code" = 200 ] && grep -q "<Key>dir/object.bin</Key>" "$work/reply" && grep -q "<Size>$size</Size>" "$work/reply"
then pass "list shows the object with its size"
else fail "list: HTTP $code: $(cat "$work/reply")"; fi

code=$(req "$S" GET "/$bucket/dir/object.bin" -)
if [ "$code" = 200 ] && cmp -s "$work/object" "$work/reply"; then pass "get returns the same bytes"
else fail "get: HTTP $code, $(stat -c %s "$work/reply") bytes back, cmp: $(cmp "$work/object" "$work/reply" 2>&1 || true)"; fi

# A Content-MD5 of other bytes: the server must refuse to store the object.
wrong_md5=$(printf 'not the body' | openssl dgst -md5 -binary | base64)
code=$(req "$S" PUT "/$bucket/bad-digest" "$work/object" -H "Content-MD5: $wrong_md5")
if [ "$code" = 400 ] && grep -q '<Code>BadDigest</Code>' "$work/reply"; then pass "wrong Content-MD5 refused with 400 BadDigest"
else fail "wrong Content-MD5: HTTP $code: $(cat "$work/reply")"; fi
code=$(req "$S" HEAD "/$bucket/bad-digest" - -I)
expect 404 "$code" "nothing stored under the bad digest" "HEAD of it"

code=$(req "${S}x" GET "/$bucket/dir/object.bin" -)
if [ "$code" = 403 ] && grep -q '<Code>SignatureDoesNotMatch</Code>' "$work/reply"; then pass "wrong secret refused with 403"
else fail "wrong secret: HTTP $code: $(cat "$work/reply")"; fi

code=$(req "$S" DELETE "/$bucket/dir/object.bin" -)
expect 204 "$code" "delete object" "$(cat "$work/reply")"
code=$(req "$S" DELETE "/$bucket" -)
expect 204 "$code" "delete bucket" "$(cat "$work/reply")"

[ "$fails" = 0 ] || { echo "s3-smoke: $fails check(s) failed against $endpoint (server logs: $dir/log)" >&2; exit 1; }
echo "s3-smoke: all checks passed against $endpoint"

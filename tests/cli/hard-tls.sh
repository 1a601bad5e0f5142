#!/usr/bin/env bash
# TLS against RGW's beast frontend with a certificate from a test CA (fixture
# s3tls): dm-seed refuses it by default with a clear "certificate not trusted"
# (exit 1, nothing created); trusts it with --ca-bundle FILE or SSL_CERT_FILE=FILE;
# --insecure works and warns; a wrong CA file is named in the message.
# hard-lib.sh unsets the machine's CA variables, so the default is the system store.
. "$(dirname "$0")/hard-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3tls/env"

src="$TMP/src"
mkdir -p "$src/sub"
echo "over tls" >"$src/a.txt"
head -c 70000 /dev/urandom >"$src/sub/b.bin"
export MC_HOST_tls="https://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@${DM_TEST_S3_TLS_ENDPOINT#https://}"
runs=0

# bucket_absent BUCKET: nothing was created (checked over plain http)
bucket_absent() {
  [ "$(s3curl "/$1" -o /dev/null -I -w '%{http_code}')" = 404 ] || fail "bucket $1 exists after a refused run"
}

# default: the system store does not know the test CA
b=$(new_bucket tls-default)
run_rc 1 "$SEED" --no-progress "$src" "tls/$b"
runs=$((runs + 1))
grep -q "^dm-seed: error: certificate not trusted for $DM_TEST_S3_TLS_ENDPOINT: .*(CA: system store); use --ca-bundle FILE or --insecure" "$TMP/err" ||
  fail "default: message: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "default: expected one line: $(cat "$TMP/err")"
bucket_absent "$b"
pass "untrusted certificate: exit 1, '$(cut -c1-90 "$TMP/err")...'"

# --ca-bundle FILE
b=$(new_bucket tls-cab)
run_rc 0 "$SEED" --no-progress --ca-bundle "$DM_TEST_S3_CA" "$src" "tls/$b"
runs=$((runs + 1))
same_tree "$src" "$b" ""
pass "--ca-bundle: uploaded and verified"

# SSL_CERT_FILE=FILE
b=$(new_bucket tls-env)
run_rc 0 env SSL_CERT_FILE="$DM_TEST_S3_CA" "$SEED" --no-progress "$src" "tls/$b"
runs=$((runs + 1))
same_tree "$src" "$b" ""
pass "SSL_CERT_FILE: uploaded and verified"

# --insecure: works, and says what it costs
b=$(new_bucket tls-insecure)
run_rc 0 "$SEED" --no-progress --insecure "$src" "tls/$b"
runs=$((runs + 1))
grep -q "^dm-seed: warning: TLS certificate checks are off (--insecure)" "$TMP/err" || fail "--insecure: no warning: $(cat "$TMP/err")"
same_tree "$src" "$b" ""
pass "--insecure: uploaded, with a warning"

# a CA file that did not sign the server's certificate is named, whichever way it came
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other CA" \
  -keyout "$TMP/other.key" -out "$TMP/other.crt" >/dev/null 2>&1 || fail "openssl cannot make a CA"
b=$(new_bucket tls-wrong)
run_rc 1 "$SEED" --no-progress --ca-bundle "$TMP/other.crt" "$src" "tls/$b"
runs=$((runs + 1))
grep -q "certificate not trusted for .*(CA: $TMP/other.crt); use --ca-bundle" "$TMP/err" || fail "wrong --ca-bundle: $(cat "$TMP/err")"
run_rc 1 env SSL_CERT_FILE="$TMP/other.crt" "$SEED" --no-progress "$src" "tls/$b"
runs=$((runs + 1))
grep -q "certificate not trusted for .*(CA: $TMP/other.crt); use --ca-bundle" "$TMP/err" || fail "wrong SSL_CERT_FILE: $(cat "$TMP/err")"
bucket_absent "$b"
pass "wrong CA (flag or environment): exit 1 naming the CA file"

# --ca-bundle that cannot be read: a usage error before any request
run_rc 2 "$SEED" --no-progress --ca-bundle "$TMP/no-such.crt" "$src" "tls/whatever"
grep -q "^dm-seed: error: --ca-bundle: cannot read '$TMP/no-such.crt'" "$TMP/err" || fail "missing --ca-bundle: $(cat "$TMP/err")"
pass "unreadable --ca-bundle: exit 2"

echo "figures: tls runs=$runs"

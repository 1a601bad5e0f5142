#!/usr/bin/env bash
# dm-seed's targets and sources against the real RGW: s3://BUCKET/PREFIX (the alias s3, from
# AWS_*), a single file as SOURCE (one object, PREFIX/NAME; rerun skipped; other keys under the
# prefix untouched), and the misuses around them (exit 2, one line).  Read back with curl.
. "$(dirname "$0")/seed-lib.sh"

# the alias s3 from the AWS_* variables (seed-lib.sh unsets them for the other tests)
as_s3() {
  AWS_ACCESS_KEY_ID=$DM_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$DM_TEST_S3_SECRET_KEY \
    AWS_ENDPOINT_URL=$DM_TEST_S3_ENDPOINT "$@"
}
got() { s3curl "/$1/$2" --fail -o "$TMP/got" && cmp -s "$3" "$TMP/got"; }

src="$TMP/src"
mkdir -p "$src/sub"
echo 'a,b' >"$src/a.csv"
echo 'deep' >"$src/sub/d.txt"
b=$(new_bucket targets)

# s3://BUCKET/PREFIX: the alias s3
run_rc 0 as_s3 "$SEED" -v --no-progress "$src" "s3://$b/in"
[ "$(keys_in "$b" | tr '\n' ' ')" = "in/a.csv in/sub/d.txt " ] || fail "s3://: $(keys_in "$b")"
got "$b" in/sub/d.txt "$src/sub/d.txt" || fail "s3://: in/sub/d.txt differs"
run_rc 0 as_s3 "$SEED" -v --no-progress "$src" "s3://$b"
[ "$(keys_in "$b" | tr '\n' ' ')" = "a.csv in/a.csv in/sub/d.txt sub/d.txt " ] || fail "s3://BUCKET: $(keys_in "$b")"
pass "s3://BUCKET/PREFIX and s3://BUCKET: the alias s3 (AWS_*)"

# a single file: PREFIX/NAME, once; a rerun skips it; the other keys under the prefix stay as they are
echo 'other' >"$TMP/other"
s3cli s3 cp --quiet "$TMP/other" "s3://$b/one/a.csv.bak"
run_rc 0 as_s3 "$SEED" -v --no-progress "$src/a.csv" "s3://$b/one"
[ "$(cat "$TMP/out")" = "uploaded $b/one/a.csv" ] || fail "single file: $(cat "$TMP/out")"
got "$b" one/a.csv "$src/a.csv" || fail "single file: one/a.csv differs"
run_rc 0 as_s3 "$SEED" -v --no-progress "$src/a.csv" "s3://$b/one"
[ "$(cat "$TMP/out")" = "skipped $b/one/a.csv" ] || fail "single file rerun: $(cat "$TMP/out")"
[ "$(keys_in "$b" one/ | tr '\n' ' ')" = "one/a.csv one/a.csv.bak " ] || fail "single file: $(keys_in "$b" one/)"
got "$b" one/a.csv.bak "$TMP/other" || fail "single file: one/a.csv.bak changed"
# a relative name, and ALIAS/BUCKET without a prefix
(cd "$src/sub" && run_rc 0 "$SEED" -v --no-progress d.txt "dmtest/$b")
[ "$(cat "$TMP/out")" = "uploaded $b/d.txt" ] || fail "relative single file: $(cat "$TMP/out")"
got "$b" d.txt "$src/sub/d.txt" || fail "single file: d.txt differs"
pass "a single file as SOURCE: PREFIX/NAME, skipped on a rerun, other keys under the prefix untouched"

# misuse: one line, exit 2
expect_usage() { # LINE ARGS...
  local line=$1
  shift
  run_rc 2 "$SEED" --no-progress "$@"
  [ "$(head -1 "$TMP/err")" = "$line" ] || fail "$*: $(cat "$TMP/err")"
}
expect_usage "dm-seed: error: TARGET 's3://' names no bucket: s3://BUCKET[/PREFIX] (or the alias alone, 's3', to make each top-level folder a bucket)" \
  "$src" s3://
expect_usage "dm-seed: error: TARGET 'gs://$b/x': the one URL form is s3://BUCKET[/PREFIX] (the alias s3); else ALIAS/BUCKET[/PREFIX]" \
  "$src" "gs://$b/x"
expect_usage "dm-seed: error: SOURCE '$src/a.csv' is a file: name the bucket it goes to, ALIAS/BUCKET[/PREFIX] (ALIAS alone takes a folder of buckets)" \
  "$src/a.csv" dmtest
expect_usage "dm-seed: error: --delete needs a folder as SOURCE: '$src/a.csv' is a file" --delete "$src/a.csv" "dmtest/$b/one"
[ "$(keys_in "$b" one/ | tr '\n' ' ')" = "one/a.csv one/a.csv.bak " ] || fail "after the misuses: $(keys_in "$b" one/)"
# "://" further on is part of the prefix
run_rc 0 "$SEED" -v --no-progress "$src/a.csv" "dmtest/$b/x://y"
[ "$(cat "$TMP/out")" = "uploaded $b/x://y/a.csv" ] || fail "prefix with ://: $(cat "$TMP/out")"
pass "misuse: s3:// without a bucket, another scheme, a file into bucket mode, --delete with a file: exit 2"
echo "seed-targets: all passed"

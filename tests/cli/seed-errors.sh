#!/usr/bin/env bash
# dm-seed acceptance 3 and the bad-input rules: wrong keys, unreachable endpoint,
# unreadable files, non-UTF-8 names, keys over 1024 bytes, loops, special files,
# bad usage and bad configuration. Each: its message, its exit code, nothing half-written.
. "$(dirname "$0")/seed-lib.sh"

src="$TMP/src"
mkdir -p "$src/d"
echo one >"$src/one.txt"
echo two >"$src/d/two.txt"
hostport=${DM_TEST_S3_ENDPOINT#http://}

# wrong secret: exit 1, one line, nothing created, no retry storm
b=$(new_bucket auth)
export MC_HOST_bad="http://$DM_TEST_S3_ACCESS_KEY:wrong-secret-value@$hostport"
start=$(date +%s)
run_rc 1 "$SEED" --no-progress "$src" "bad/$b"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "wrong secret took too long (retried?)"
grep -q "authentication failed for alias 'bad' (SignatureDoesNotMatch" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ "$(grep -c 'error' "$TMP/err")" -eq 1 ] || fail "expected one error line: $(cat "$TMP/err")"
grep -q "wrong-secret-value" "$TMP/err" "$TMP/out" && fail "the secret was printed"
s3cli s3api head-bucket --bucket "$b" >/dev/null 2>&1 && fail "bucket $b was created with a wrong secret"
pass "wrong secret: exit 1, one line, nothing created"

# unreachable endpoint: exit 1 quickly, clear message
export MC_HOST_dead="http://a:b@127.0.0.1:9"
run_rc 1 "$SEED" --no-progress --retries 0 --connect-timeout 3s "$src" "dead/whatever"
grep -q "cannot connect to http://127.0.0.1:9" "$TMP/err" || fail "message: $(cat "$TMP/err")"
pass "unreachable endpoint: exit 1"

# unreadable file (as an unprivileged user: root reads everything): the others land, exit 4 naming it
b=$(new_bucket unread)
mkdir -p "$TMP/perm/sub"
echo ok1 >"$TMP/perm/a.txt"; echo ok2 >"$TMP/perm/sub/b.txt"; echo secret >"$TMP/perm/sub/locked.txt"
chmod 000 "$TMP/perm/sub/locked.txt"
chmod -R a+rX "$TMP/perm"; chmod 000 "$TMP/perm/sub/locked.txt"
run_rc 4 setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$TMP" "$SEED" --no-progress "$TMP/perm" "dmtest/$b"
grep -q "locked.txt': cannot read: Permission denied" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ "$(keys_in "$b" | tr '\n' ' ')" = "a.txt sub/b.txt " ] || fail "objects: $(keys_in "$b")"
pass "unreadable file: others landed, exit 4 naming it"

# non-UTF-8 name and a key over 1024 bytes fail alone; fifo skipped with a warning; loop reported
b=$(new_bucket names)
mkdir -p "$TMP/names"
echo good >"$TMP/names/good.txt"
echo bad >"$TMP/names/$(printf 'bad\xff\xfe.txt')"
long="$TMP/names"
for i in 1 2 3 4 5; do long="$long/$(printf 'd%.0s' $(seq 1 220))"; done
mkdir -p "$long"; echo deep >"$long/deep.txt"
mkfifo "$TMP/names/a.fifo"
mkdir -p "$TMP/names/loop"; ln -s .. "$TMP/names/loop/up"
run_rc 4 "$SEED" --no-progress "$TMP/names" "dmtest/$b"
grep -q "name is not valid UTF-8" "$TMP/err" || fail "no UTF-8 message: $(cat "$TMP/err")"
grep -q "over S3's limit of 1024" "$TMP/err" || fail "no key length message: $(cat "$TMP/err")"
grep -q "warning: '.*a.fifo': skipped: a fifo" "$TMP/err" || fail "no fifo warning: $(cat "$TMP/err")"
grep -q "loop/up': symlink loop" "$TMP/err" || fail "no loop message: $(cat "$TMP/err")"
grep -q "3 file(s) failed" "$TMP/err" || fail "failure count: $(cat "$TMP/err")"
[ "$(keys_in "$b")" = "good.txt" ] || fail "objects: $(keys_in "$b")"
pass "non-UTF-8, long key, fifo, loop: each reported, the rest landed"

# bucket mode refuses top-level files by name before any upload
mkdir -p "$TMP/bm/okbucket-$$"; echo x >"$TMP/bm/okbucket-$$/x.txt"; echo y >"$TMP/bm/README.md"
run_rc 1 "$SEED" --no-progress "$TMP/bm" dmtest
grep -q "README.md' is a file at the top level" "$TMP/err" || fail "message: $(cat "$TMP/err")"
s3cli s3api head-bucket --bucket "okbucket-$$" >/dev/null 2>&1 && fail "bucket created despite the refusal"
rm "$TMP/bm/README.md"; mkdir "$TMP/bm/Bad_Name"
run_rc 1 "$SEED" --no-progress "$TMP/bm" dmtest
grep -q "folder '.*Bad_Name' cannot become a bucket" "$TMP/err" || fail "message: $(cat "$TMP/err")"
pass "bucket mode: top-level file and bad folder name refused before any upload"

# usage: exit 2, the message and the --help hint, nothing else
usage_is() {
  [ "$(cat "$TMP/err")" = "$1"$'\n'"Try 'dm-seed --help' for more information." ] ||
    fail "usage: wanted '$1' and the --help hint, got: $(cat "$TMP/err")"
  [ ! -s "$TMP/out" ] || fail "usage error printed to stdout: $(cat "$TMP/out")"
}
run_rc 2 "$SEED" "$src"
usage_is "dm-seed: error: missing TARGET"
run_rc 2 "$SEED" --jobs 0 "$src" dmtest/x
usage_is "dm-seed: error: --jobs: '0' is not a number from 1 to 1024"
run_rc 2 "$SEED" --bogus "$src" dmtest/x
usage_is "dm-seed: error: unknown option '--bogus'"
run_rc 2 "$SEED" "$src" "dmtest/Not_A_Bucket"
usage_is "dm-seed: error: invalid bucket name 'Not_A_Bucket': only lower-case letters, digits, '.' and '-' are allowed"
run_rc 0 "$SEED" --help
grep -q "Exit codes:" "$TMP/out" || fail "--help lacks exit codes"
pass "usage errors: exit 2"

# configuration: unknown alias and a malformed alias file: exit 3, naming the file and line
run_rc 3 "$SEED" "$src" nosuchalias/bucket
grep -q "unknown alias 'nosuchalias'" "$TMP/err" || fail "message: $(cat "$TMP/err")"
printf 'aliases:\n  broken:\n    url: http://127.0.0.1:1\n    access_key: [unclosed\n' >"$DM_ALIASES"
run_rc 3 "$SEED" "$src" broken/bucket
grep -q "no-aliases.yaml:[0-9]*:[0-9]*:" "$TMP/err" || fail "message: $(cat "$TMP/err")"
pass "bad configuration: exit 3 with file:line:column"

# missing source
run_rc 1 "$SEED" "$TMP/does-not-exist" "dmtest/$(new_bucket missing)"
grep -q "cannot read '.*does-not-exist': No such file" "$TMP/err" || fail "message: $(cat "$TMP/err")"
pass "missing source: exit 1"
echo "seed-errors: all passed"

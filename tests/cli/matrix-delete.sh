#!/usr/bin/env bash
# The bad-input matrix for --delete (IDs D..): a listing that is hostile or broken stops
# the run with exit 1 before anything is deleted (tests/cli/hostile-s3.py plays the server and
# logs every DELETE and PUT), and against the real RGW of the fixture "s3" a folder the walk
# cannot read keeps every object under it; a raw listing of "a b" and "a+b" keeps both; a run
# short of file descriptors deletes nothing that has a file; include/exclude rules on stale keys
# run clean under valgrind.
# What is left in the bucket is read back with the AWS CLI.  See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3/env"
mx_placeholder "$DM_TEST_S3_ENDPOINT" "<s3>"
export MC_HOST_mx=$MC_HOST_dmtest
run_id=$$-$RANDOM

# shellcheck source=s3-client.sh
. "$DM_SOURCE_DIR/tests/cli/s3-client.sh"   # s3cli, keys_in
files_in() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }

# hostile SCENARIO: starts tests/cli/hostile-s3.py (60 s of life at most) as alias "h"
hostile() {
  local dir=$T/hostile-$1
  rm -rf "$dir"; mkdir -p "$dir"
  python3 "$DM_SOURCE_DIR/tests/cli/hostile-s3.py" "$1" "$dir/port" "$dir/log" 60 2>"$dir/stderr" &
  mx_cleanups+=("kill $!")
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || { fail "hostile-s3.py $1 did not start: $(cat "$dir/stderr")"; return 1; }
  export MC_HOST_h="http://hostile-ak:hostile-sk-0001@127.0.0.1:$(cat "$dir/port")"
  HLOG=$dir/log
}
no_deletes() { ! grep -q '^DELETE' "$HLOG"; }
# src NAME FILE...: a source folder whose files hold "same\n" (the ETag the server lists)
src() {
  local d=$T/$1 f
  shift
  rm -rf "$d"; mkdir -p "$d"
  for f in "$@"; do mkdir -p "$(dirname "$d/$f")"; echo same >"$d/$f"; done
  echo "$d"
}

# ---- hostile listings: exit 1, one line, nothing deleted ----
MX_RUN=(timeout 40)

hostile outside
mx D01 dm-seed 1 "listing: keys outside the prefix (a, other/secret-object)" \
  "dm-seed: error: bad listing of 'hbk/p/': key 'a' is outside the prefix" \
  -- --delete --no-progress "$(src outside keep.txt)" h/hbk/p
check no_deletes "D01: no DELETE sent"

hostile nul
mx D02 dm-seed 1 "listing: a url-encoded key that decodes to a NUL byte (zz%00hidden)" \
  "dm-seed: error: bad listing of 'hbk/p/': key 'p/zz%00hidden' decodes to a NUL byte" \
  -- --delete --no-progress "$(src nul keep.txt)" h/hbk/p
check no_deletes "D02: no DELETE sent"

hostile badpct
mx D03 dm-seed 1 "listing: a url-encoded key with a bad %-escape" \
  "dm-seed: error: bad listing of 'hbk/p/': key 'p/a%zzb' has a bad %-escape" \
  -- --delete --no-progress "$(src badpct keep.txt)" h/hbk/p
check no_deletes "D03: no DELETE sent"

hostile notutf8
mx D04 dm-seed 1 "listing: a url-encoded key that is not UTF-8" \
  "dm-seed: error: bad listing of 'hbk/p/': key 'p/a%FFb' is not UTF-8" \
  -- --delete --no-progress "$(src notutf8 keep.txt)" h/hbk/p
check no_deletes "D04: no DELETE sent"

hostile unsorted
mx D05 dm-seed 1 "listing: keys not in ascending order" \
  "dm-seed: error: bad listing of 'hbk/p/': key 'p/a.txt' comes after 'p/b.txt': keys must be listed in ascending byte order" \
  -- --delete --no-progress "$(src unsorted a.txt b.txt)" h/hbk/p
check no_deletes "D05: no DELETE sent (a.txt has a file)"

hostile repeat
mx D06 dm-seed 1 "listing: IsTruncated with a continuation token seen before" \
  "dm-seed: error: bad listing of 'hbk/p/': continuation token 'same-token' was handed out before" \
  -- --delete --no-progress "$(src repeat keep.txt)" h/hbk/p
check no_deletes "D06: no DELETE sent"
check [ "$(grep -c 'list-type=2' "$HLOG")" = 2 ] "D06: the listing stopped at the second page"

hostile notoken
mx D07 dm-seed 1 "listing: IsTruncated without a continuation token" \
  "dm-seed: error: bad listing of 'hbk/p/': truncated ListObjectsV2 reply without NextContinuationToken" \
  -- --delete --no-progress "$(src notoken keep.txt)" h/hbk/p
check no_deletes "D07: no DELETE sent"
MX_RUN=()

# a server that ignores encoding-type=url: raw "p/a b" and "p/a+b" match the files "a b" and "a+b"
hostile raw
mx D08 dm-seed 0 "--delete, a server that ignores encoding-type=url: raw keys 'p/a b', 'p/a+b' for the files 'a b', 'a+b'" \
  "dm-seed: 0 uploaded, 2 skipped, 0 failed, 0 deleted, 0 B in <s> s, <r> MiB/s" \
  out summary -- --delete -v --no-progress "$(src raw 'a b' 'a+b')" h/hbk/p
check no_deletes "D08: a b and a+b both kept (no DELETE)"
check not grep -q '^PUT' "$HLOG" "D08: both skipped (no PUT)"
check [ "$(grep -c '^skipped ' "$T/out")" = 2 ] "D08: 2 skipped listed on stdout"

# ---- the real RGW: a folder the walk cannot read protects what is under it ----
b=mx-d000-$run_id
mx_placeholder "$b" "<bucket>"
s=$(src p000 top.txt gone.txt locked/a.txt locked/sub/b.txt open/c.txt)
"$DM_BIN/dm-seed" -q --no-progress "$s" "mx/$b" >/dev/null 2>&1 || fail "D10: first upload"
rm "$s/gone.txt"
chmod -R a+rX "$s"; chmod 000 "$s/locked"
[ "$(id -u)" = 0 ] && MX_RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups)
mx D10 dm-seed 4 "--delete: a subfolder of mode 000 (as uid 65534)" \
  "dm-seed: error: '<tmp>/p000/locked': cannot read folder: Permission denied" \
  partial -- --delete --no-progress "$s" "mx/$b"
MX_RUN=()
chmod 755 "$s/locked"
check [ "$(keys_in "$b" | tr '\n' ' ')" = "locked/a.txt locked/sub/b.txt open/c.txt top.txt " ] \
  "D10: every object under the folder kept, the stale one deleted ($(keys_in "$b" | tr '\n' ' '))"
check grep -qxF "dm-seed: warning: '$b/locked/a.txt': not deleted: '$s/locked' could not be read" "$T/err" \
  "D10: locked/a.txt reported as kept"
check grep -qxF "dm-seed: warning: '$b/locked/sub/b.txt': not deleted: '$s/locked' could not be read" "$T/err" \
  "D10: locked/sub/b.txt reported as kept"
check grep -q ' 1 deleted, 2 kept (see the warnings), ' "$T/err" "D10: the summary counts 1 deleted, 2 kept"

# ---- the real RGW: the last guard, lstat of the file a stale key maps to ----
# a folder marker "dir/" (as consoles create) sorts before "dir/x.txt": the merge finds no file of
# that key, but SOURCE/dir/ exists, so it is kept; the marker of a folder that is gone is deleted
b=mx-dmark-$run_id
s=$(src mark dir/x.txt)
"$DM_BIN/dm-seed" -q --no-progress "$s" "mx/$b" >/dev/null 2>&1 || fail "marker: first upload"
for k in dir/ gone/; do
  s3cli s3api put-object --bucket "$b" --key "$k" >/dev/null
done
rc=0
"$DM_BIN/dm-seed" --delete -v --no-progress "$s" "mx/$b" >"$T/out" 2>"$T/err" || rc=$?
check [ "$rc" = 0 ] "marker: exit 0 (got $rc)"
check [ "$(keys_in "$b" | tr '\n' ' ')" = "dir/ dir/x.txt " ] "marker: dir/ kept, gone/ deleted ($(keys_in "$b" | tr '\n' ' '))"
check grep -qxF "dm-seed: warning: '$b/dir/': not deleted: '$s/dir/' exists" "$T/err" "marker: dir/ reported as kept"

# ---- the real RGW: short of file descriptors (ulimit -n 256, -j 1024) ----
b=mx-dfd-$run_id
s=$T/many
rm -rf "$s"
for d in $(seq -w 1 100); do mkdir -p "$s/d$d"; for f in $(seq -w 1 20); do echo "$d $f" >"$s/d$d/f$f.txt"; done; done
"$DM_BIN/dm-seed" -q --no-progress "$s" "mx/$b" >/dev/null 2>&1 || fail "fd: first upload"
before=$(keys_in "$b" | wc -l)
# every file changed: the rerun uploads them all, each worker holding a connection, so
# opening folders runs out of descriptors while the listing says every key exists
for d in $(seq -w 1 100); do for f in $(seq -w 1 20); do echo "changed $d $f" >"$s/d$d/f$f.txt"; done; done
MX_RUN=(bash -c 'ulimit -n 256 && exec "$@"' _)
mx D11 dm-seed 0 "--delete, -j 1024 under ulimit -n 256 (soft and hard), 2000 changed files" \
  "dm-seed: warning: --jobs 1024 lowered to 64: the open-file limit is 256" \
  warning -- -j 1024 --retries 1 --delete --no-progress "$s" "mx/$b"
MX_RUN=()
emfile=$(grep -c 'Too many open files' "$T/err")
missing=$(comm -23 <(files_in "$s") <(keys_in "$b") | wc -l)
check [ "$before" = 2000 ] "D11: 2000 objects before"
check [ "$missing" = 0 ] "D11: no object of a local file deleted ($missing missing; $emfile lines 'Too many open files')"
check grep -q ' 2000 uploaded, 0 skipped, 0 failed, 0 deleted, ' "$T/err" "D11: every changed file uploaded, nothing deleted"

# ---- the real RGW: --delete with include and exclude rules, under valgrind (or ASan) ----
# (the first rule that matches a key decides; the rules are matched against the keys of stale
# objects: valgrind once found a read past the end of a key there; its exit 99, or ASan's abort,
# and the report on stderr fail the case)
b=mx-drules-$run_id
s=$(src rules a.txt b.txt c.log skip/d.txt)
"$DM_BIN/dm-seed" -q --no-progress "$s" "mx/$b" >/dev/null 2>&1 || fail "rules: first upload"
rm "$s/a.txt" "$s/c.log" "$s/skip/d.txt"
# memcheck cannot run a sanitizer build (ASan owns the allocator): there ASan itself checks
if grep -q libasan <<<"$(ldd "$DM_BIN/dm-seed")"; then MX_RUN=(); else MX_RUN=(valgrind -q --error-exitcode=99); fi
mx D12 dm-seed 0 "--delete --exclude 'skip/*' --include '*.txt' (under valgrind or ASan): a.txt, c.log, skip/d.txt gone" \
  "dm-seed: 0 uploaded, 1 skipped, 0 failed, 1 deleted, 0 B in <s> s, <r> MiB/s" \
  summary -- --delete --exclude 'skip/*' --include '*.txt' --no-progress "$s" "mx/$b"
MX_RUN=()
check [ "$(keys_in "$b" | tr '\n' ' ')" = "b.txt c.log skip/d.txt " ] \
  "D12: only a.txt deleted; c.log and skip/d.txt, outside the rules, kept ($(keys_in "$b" | tr '\n' ' '))"

mx_finish D

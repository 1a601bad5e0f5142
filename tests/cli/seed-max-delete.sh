#!/usr/bin/env bash
# dm-seed --delete's guard, --max-delete N, against the real RGW: a mistaken target (the
# parent folder given as SOURCE) deletes nothing, by default and with a --max-delete too low;
# the objects are read back with curl's own SigV4 (an independent client), byte for byte.
# --dry-run --delete sums up what would go (count, bytes; the keys on stdout and in --json).
. "$(dirname "$0")/seed-lib.sh"

# listing BUCKET [PREFIX]: every key with its size, "KEY SIZE" a line, sorted (curl, one page)
listing() {
  s3curl "/$1?list-type=2&max-keys=1000${2:+&prefix=${2//\//%2F}}" --fail | python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
root = ET.parse(sys.stdin).getroot()
assert root.findtext(ns + "IsTruncated") == "false", "more than one page"
for c in sorted(root.iter(ns + "Contents"), key=lambda c: c.findtext(ns + "Key")):
    print(c.findtext(ns + "Key"), c.findtext(ns + "Size"))'
}
# intact BUCKET PREFIX DIR: every file of DIR is the object PREFIX/NAME, byte for byte (GET by curl)
intact() {
  local f
  for f in "$3"/*; do
    s3curl "/$1/$2/$(basename "$f")" -o "$TMP/got" || fail "GET $2/$(basename "$f")"
    cmp -s "$f" "$TMP/got" || fail "$1/$2/$(basename "$f") differs from $f"
  done
}

# data/examples: 14 files, uploaded once to BUCKET/examples
mkdir -p "$TMP/data/examples" "$TMP/orig"
for i in $(seq -w 1 14); do echo "example $i" >"$TMP/data/examples/f$i.csv"; done
cp "$TMP/data/examples/"* "$TMP/orig/"
bytes=$(cat "$TMP/orig/"* | wc -c)
b=$(new_bucket maxdel)
run_rc 0 "$SEED" -q --no-progress "$TMP/data/examples" "dmtest/$b/examples"
listing "$b" >"$TMP/before"
[ "$(wc -l <"$TMP/before")" -eq 14 ] || fail "first upload: $(cat "$TMP/before")"

# --dry-run --delete: the summary of what would go, and the refusal it would meet (exit 1)
run_rc 1 "$SEED" --no-progress --dry-run --delete "$TMP/data" "dmtest/$b/examples"
grep -qxF "dm-seed: dry run: --delete would remove 14 object(s), $bytes B" "$TMP/err" || fail "dry-run summary: $(cat "$TMP/err")"
grep -q "refusing to delete 14 of the 14 objects under '$b/examples/'" "$TMP/err" || fail "dry-run refusal: $(cat "$TMP/err")"
[ "$(grep -c "^would delete $b/examples/f" "$TMP/out")" -eq 14 ] || fail "dry-run keys: $(cat "$TMP/out")"
listing "$b" >"$TMP/after"
diff "$TMP/before" "$TMP/after" || fail "the dry run changed the bucket"
pass "--dry-run --delete: count, bytes and keys of what would go, the refusal; nothing changed"

# the mistake: the parent folder as SOURCE; all 14 objects under examples/ would be stale
run_rc 1 "$SEED" --no-progress --delete "$TMP/data" "dmtest/$b/examples"
grep -qxF "dm-seed: error: refusing to delete 14 of the 14 objects under '$b/examples/': more than half of them; nothing deleted; check SOURCE and TARGET (--max-delete 14 or --max-delete all allows it)" "$TMP/err" ||
  fail "refusal line: $(cat "$TMP/err")"
[ "$(grep -c 'error' "$TMP/err")" -eq 1 ] || fail "more than one error line: $(cat "$TMP/err")"
grep -q ' 14 uploaded, 0 skipped, 0 failed, 0 deleted, ' "$TMP/err" || fail "summary: $(cat "$TMP/err")"
listing "$b" examples/ | grep -v '^examples/examples/' >"$TMP/after"
diff "$TMP/before" "$TMP/after" || fail "objects under examples/ changed after the refusal"
intact "$b" examples "$TMP/orig"
# the uploads of the run go on (documented): the new keys hold the files
[ "$(listing "$b" examples/examples/ | wc -l)" -eq 14 ] || fail "uploads: $(listing "$b")"
intact "$b" examples/examples "$TMP/orig"
pass "default guard: 14 of 14 refused, exit 1, one line; every object still there byte for byte"

# --max-delete lower than the count: refused too, nothing deleted
run_rc 1 "$SEED" --no-progress --delete --max-delete 13 "$TMP/data" "dmtest/$b/examples"
grep -qxF "dm-seed: error: refusing to delete 14 objects under '$b/examples/': over the limit of 13 deletions; nothing deleted (--max-delete 14 or --max-delete all allows it)" "$TMP/err" ||
  fail "--max-delete 13 line: $(cat "$TMP/err")"
intact "$b" examples "$TMP/orig"
pass "--max-delete 13: 14 refused, every object still there"

# --dry-run --json: what would go, with the keys
run_rc 0 "$SEED" --no-progress --dry-run --json --delete --max-delete all "$TMP/data" "dmtest/$b/examples"
[ "$(json_get "$TMP/out" 'd["would_delete"]["objects"]')" = 14 ] || fail "json would_delete: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["would_delete"]["bytes"]')" = "$bytes" ] || fail "json bytes: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" '" ".join(k["key"] for k in d["would_delete"]["keys"])')" = "$(cd "$TMP/orig" && printf 'examples/%s ' * | sed 's/ $//')" ] ||
  fail "json keys: $(cat "$TMP/out")"
intact "$b" examples "$TMP/orig"
pass "--dry-run --json --delete: would_delete's count, bytes and keys; nothing deleted"

# --json on a refusal: exit_code 1 and the line as the error's message
mkdir -p "$TMP/empty"
run_rc 1 "$SEED" --no-progress --json --delete "$TMP/empty" "dmtest/$b/examples/examples"
[ "$(json_get "$TMP/out" 'd["exit_code"]')" = 1 ] || fail "json exit code: $(cat "$TMP/out")"
json_get "$TMP/out" 'd["error"]["message"]' | grep -q '^refusing to delete 14 of the 14 objects' || fail "json error: $(cat "$TMP/out")"
[ "$(listing "$b" examples/examples/ | wc -l)" -eq 14 ] || fail "an empty SOURCE deleted: $(listing "$b")"
pass "an empty SOURCE: refused (--json: exit_code 1, the error)"

# within the limits: 7 of 14 (half) go by default; the exact count given lets 14 go; all lets any
rm "$TMP/data/examples/f0"[1-7].csv
run_rc 0 "$SEED" -v --no-progress --delete "$TMP/data/examples" "dmtest/$b/examples/examples"
[ "$(grep -c "^deleted $b/examples/examples/f0[1-7].csv$" "$TMP/out")" -eq 7 ] || fail "half: $(cat "$TMP/out")"
[ "$(listing "$b" examples/examples/ | wc -l)" -eq 7 ] || fail "after half: $(listing "$b")"
run_rc 1 "$SEED" --no-progress --delete --max-delete 0 "$TMP/data" "dmtest/$b/examples"
grep -q "over the limit of 0 deletions; nothing deleted" "$TMP/err" || fail "--max-delete 0: $(cat "$TMP/err")"
run_rc 0 "$SEED" -v --no-progress --delete --max-delete 14 "$TMP/data" "dmtest/$b/examples"
[ "$(grep -c "^deleted $b/examples/f..\.csv$" "$TMP/out")" -eq 14 ] || fail "--max-delete 14: $(cat "$TMP/out")"
run_rc 0 "$SEED" -v --no-progress --delete --max-delete all "$TMP/empty" "dmtest/$b/examples"
[ "$(listing "$b" | wc -l)" -eq 0 ] || fail "--max-delete all left: $(listing "$b")"
pass "half by default, --max-delete 0 (none), N and all"

# misuse
run_rc 2 "$SEED" --no-progress --max-delete 3 "$TMP/data" "dmtest/$b"
grep -qxF "dm-seed: error: --max-delete goes with --delete" "$TMP/err" || fail "without --delete: $(cat "$TMP/err")"
for v in -1 x 3x ''; do
  run_rc 2 "$SEED" --no-progress --delete --max-delete "$v" "$TMP/data" "dmtest/$b"
  grep -qxF "dm-seed: error: --max-delete: '$v' is not a count of objects or 'all'" "$TMP/err" || fail "--max-delete '$v': $(cat "$TMP/err")"
done
pass "--max-delete without --delete, or not a count: exit 2"
echo "seed-max-delete: all passed"

#!/usr/bin/env bash
# --shard I/N: 4 shards over 10,000 files upload every key exactly once, and together all of them.
. "$(dirname "$0")/seed-lib.sh"

src="$TMP/src"
python3 - "$src" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(10000):
    d = os.path.join(root, f"g{i % 50:02d}", f"h{i % 7}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.txt"), "w") as f:
        f.write(f"file {i}\n")
PY
b=$(new_bucket shard)
: >"$TMP/all"
pids=()
for i in 0 1 2 3; do
  "$SEED" -v --no-progress --shard "$i/4" "$src" "dmtest/$b" >"$TMP/shard$i" 2>"$TMP/err$i" &
  pids+=("$!")
done
for i in 0 1 2 3; do
  rc=0
  wait "${pids[i]}" || rc=$?
  [ "$rc" = 0 ] || fail "shard $i exited $rc: $(cat "$TMP/err$i")"
done
for i in 0 1 2 3; do
  grep -q "0 failed" "$TMP/err$i" || fail "shard $i: $(cat "$TMP/err$i")"
  n=$(grep -c '^uploaded ' "$TMP/shard$i")
  [ "$n" -gt 1500 ] || fail "shard $i took only $n files: the hash does not spread"
  grep '^uploaded ' "$TMP/shard$i" >>"$TMP/all"
done
[ "$(wc -l <"$TMP/all")" -eq 10000 ] || fail "$(wc -l <"$TMP/all") uploads in all, expected 10000"
dups=$(sort "$TMP/all" | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups keys uploaded by more than one shard"
[ "$(keys_in "$b" | wc -l)" -eq 10000 ] || fail "bucket holds $(keys_in "$b" | wc -l) keys"
pass "4 shards: 10000 keys, each uploaded once, union complete"
# a shard rerun skips exactly its own files
run_rc 0 "$SEED" --json --no-progress --shard 2/4 "$src" "dmtest/$b"
[ "$(json_get "$TMP/out" 'd["skipped"]')" -eq "$(grep -c '^uploaded ' "$TMP/shard2")" ] || fail "shard rerun: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq 0 ] || fail "shard rerun uploaded"
pass "shard rerun: its own files skipped"
echo "seed-shard: all passed"

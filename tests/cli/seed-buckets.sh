#!/usr/bin/env bash
# dm-seed acceptance 4: `dm-seed data/ dmtest` makes one bucket per top-level
# folder of the repository's data/, each holding exactly that folder's files.
. "$(dirname "$0")/seed-lib.sh"

data="$DM_SOURCE_DIR/data"
folders=$(find "$data" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
[ -n "$folders" ] || fail "data/ has no folders"
run_rc 0 "$SEED" -v --no-progress "$data" dmtest
for f in $folders; do
  grep -qx "created bucket $f" "$TMP/out" || s3cli s3api head-bucket --bucket "$f" >/dev/null ||
    fail "bucket $f missing: $(cat "$TMP/out")"
  same_tree "$data/$f" "$f" ""
  pass "bucket $f holds data/$f byte for byte"
done
run_rc 0 "$SEED" --json --no-progress "$data" dmtest
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq 0 ] || fail "rerun uploaded: $(cat "$TMP/out")"
echo "seed-buckets: all passed"

#!/usr/bin/env bash
# dm-seed --ndjson against the real RGW: one JSON object a line on stdout for each file as it
# ends (uploaded, skipped, failed with its reason, deleted), then the --json document on one line,
# whose counts match the events; refused with --k8s-job.
. "$(dirname "$0")/seed-lib.sh"

src="$TMP/src"
mkdir -p "$src/sub"
for f in a.csv b.csv sub/c.txt gone.txt; do echo "$f" >"$src/$f"; done
b=$(new_bucket ndjson)
run_rc 0 "$SEED" -q --no-progress "$src" "dmtest/$b"
rm "$src/gone.txt"
echo changed >"$src/b.csv"
ln -s nowhere "$src/broken"
run_rc 4 "$SEED" --ndjson --delete --no-progress "$src" "dmtest/$b"
python3 - "$TMP/out" "$b" <<'PY' || fail "ndjson: $(cat "$TMP/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
b = sys.argv[2]
docs = [json.loads(l) for l in lines]          # every line one JSON object
*events, summary = docs
assert all("event" in e for e in events), events
got = sorted((e["event"], e["key"]) for e in events)
assert got == [("deleted", "gone.txt"), ("failed", "broken"), ("skipped", "a.csv"), ("skipped", "sub/c.txt"),
               ("uploaded", "b.csv")], got
fail = [e for e in events if e["event"] == "failed"][0]
assert fail["reason"] == "broken symlink" and fail["bucket"] == b, fail
up = [e for e in events if e["event"] == "uploaded"][0]
assert up["size"] == len("changed\n") and up["path"].endswith("/b.csv"), up
assert summary["tool"] == "dm-seed" and summary["exit_code"] == 4, summary
assert (summary["uploaded"], summary["skipped"], summary["failed"], summary["deleted"]) == (1, 2, 1, 1), summary
assert summary["failures"][0]["key"] == "broken", summary
print(f"ok: {len(events)} events, then the summary")
PY
pass "--ndjson: an event a file (uploaded, skipped, failed with its reason, deleted), the summary last"

run_rc 2 "$SEED" --ndjson --k8s-job 2 --pvc p --endpoint http://m:9000 --secret s --access-key-field a \
  --secret-key-field k --namespace n "$src" "dmtest/$b"
grep -qxF "dm-seed: error: --ndjson does not go with --k8s-job: the Job's pods are not told of it" "$TMP/err" ||
  fail "--ndjson --k8s-job: $(cat "$TMP/err")"
pass "--ndjson with --k8s-job: exit 2"
echo "seed-ndjson: all passed"

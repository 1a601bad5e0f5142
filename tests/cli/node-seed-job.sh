#!/usr/bin/env bash
# dm-seed --k8s-job N --apply on the node of the test bed (Kubernetes 1.20: no Indexed Jobs, so the
# per-shard form): a tree on a hostPath PersistentVolume, the S3 keys in a Secret, the pods on the
# host's network reaching the RGW through the fault proxy (which logs every request).
#   1. three shards reach Complete, exit 0: the bucket holds the tree byte for byte (AWS CLI), every
#      key was uploaded exactly once (the proxy's log), the combined --json counts match the tree,
#      and the Jobs are gone afterwards;
#   2. one shard's pod killed mid-run (its uploads slowed by the proxy): the Job starts another
#      pod, the run ends with exit 0, the bucket still matches and no multipart upload is left;
#   3. a shard with a file that cannot be uploaded (a key over 1024 bytes): exit 4, the file in
#      the combined result, the Jobs kept;
#   4. a Job of one of the names exists already: one error line, exit 1, nothing created;
#   5. SIGTERM while the shards run: exit 130, the Jobs and their pods deleted;
#   6. --timeout: exit 1, the Jobs left running and named;
#   7. the printed per-shard manifest passes `kubectl apply --dry-run=server` on this server;
#   8. a Job run and a local run of the same options (filters, part size, threshold, -j, retries)
#      land the same objects, ETags and sizes.
# shellcheck disable=SC1091
. "$(dirname "$0")/seed-lib.sh"
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
: "${DM_TEST_NODE_IMAGE:?}"
ns=seed-job-$$
pv=seed-job-$$
# KEEP=1 leaves the namespace and the temp folder to look at
cleanup() {
  [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "${KEEP:-}" ] || kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  kc delete pv "$pv" --wait=false >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$TMP" "$T"
}
trap cleanup EXIT

# --- the claim: a tree on the host, a PV of it bound to a PVC; the keys in a Secret ----------------
claim=$T/claim
tree=$claim/lake
mkdir -p "$tree/a/b/c" "$tree/logs" "$tree/odd dir"
for i in $(seq 1 12); do echo "row $i" >"$tree/f$i.csv"; done
for i in $(seq 1 10); do head -c $((i * 1000)) /dev/urandom >"$tree/a/b/c/n$i.bin"; done
for i in $(seq 1 8); do echo "log $i" >"$tree/logs/l$i.log"; done
echo "price" >"$tree/odd dir/p \$(HOME).csv"
head -c $((11 * 1024 * 1024 + 5)) /dev/urandom >"$tree/a/big.bin"   # 3 parts of 5 MiB
nfiles=$(find "$tree" -type f | wc -l)
chmod -R a+rX "$claim"

kc create namespace "$ns" >/dev/null
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: $pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadOnlyMany]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "$claim", type: Directory}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: lake, namespace: $ns}
spec:
  accessModes: [ReadOnlyMany]
  storageClassName: ""
  volumeName: $pv
  resources: {requests: {storage: 1Gi}}
YAML
kc -n "$ns" create secret generic s3keys --from-literal=ak="$DM_TEST_S3_ACCESS_KEY" \
  --from-literal=sk="$DM_TEST_S3_SECRET_KEY" >/dev/null
deadline=$(($(date +%s) + 60))
until [ "$(kc -n "$ns" get pvc lake -o jsonpath='{.status.phase}')" = Bound ] &&
      [ -n "$(kc -n "$ns" get serviceaccount default -o jsonpath='{.secrets[0].name}' 2>/dev/null)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "claim not Bound or no service account token in $ns after 60s"
  sleep 0.5
done
pass "namespace $ns: claim 'lake' bound to a hostPath PV of $nfiles files, Secret s3keys"

# --- the fault proxy in front of the RGW: logs every request; slows the bucket of test 2 ---------
b1=$(new_bucket apply)
b2=$(new_bucket kill)
b5=$(new_bucket intr)
for b in "$b1" "$b2" "$b5"; do s3cli s3 mb "s3://$b" >/dev/null; done
coproc PROXY { exec python3 "$HERE/fault-proxy.py" "${DM_TEST_S3_ENDPOINT#http://}" "$TMP/proxy.port" \
  "PUT:/$b2/:delay=0.4" "POST:/$b2/:delay=0.4" "PUT:/$b5/:delay=0.4" 2>"$TMP/proxy.log"; }
for _ in $(seq 100); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
[ -s "$TMP/proxy.port" ] || fail "fault proxy did not start: $(cat "$TMP/proxy.log")"
endpoint=http://127.0.0.1:$(cat "$TMP/proxy.port")

job=(--k8s-job 3 --apply --host-network --image "$DM_TEST_NODE_IMAGE" --namespace "$ns" --pvc lake
     --secret s3keys --access-key-field ak --secret-key-field sk --endpoint "$endpoint" --timeout 4m
     --no-progress --multipart-threshold 5MiB --part-size 5MiB)

# --- 1. three shards, exit 0, the bucket is the tree, each key uploaded once ----------------------
t0=$(date +%s.%N)
run_rc 0 "$SEED" "${job[@]}" --job-name s1 --json lake "x/$b1/raw"
t1=$(date +%s.%N)
cp "$TMP/out" "$TMP/s1.json"
cp "$TMP/err" "$TMP/s1.err"
grep -qx "dm-seed: Kubernetes v1.20.2 (no Indexed Jobs before 1.22): 3 Jobs s1-0 .. s1-2, one a shard, in namespace $ns" \
  "$TMP/s1.err" || fail "the form is not told: $(cat "$TMP/s1.err")"
for s in 0 1 2; do
  grep -q "^dm-seed: shard $s done (pod s1-$s-" "$TMP/s1.err" || fail "no line for shard $s: $(cat "$TMP/s1.err")"
done
grep -q "^dm-seed: $nfiles uploaded, 0 skipped, 0 failed, 0 deleted, " "$TMP/s1.err" ||
  fail "summary line: $(cat "$TMP/s1.err")"
same_tree "$tree" "$b1" raw
python3 - "$TMP/s1.json" "$nfiles" "$(find "$tree" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
n, size = int(sys.argv[2]), int(sys.argv[3])
assert d["tool"] == "dm-seed" and d["exit_code"] == 0 and d["job_form"] == "per-shard", d
assert d["files"] == n and d["uploaded"] == n and d["failed"] == 0 and d["failures"] == [], d
assert d["bytes_uploaded"] == size, (d["bytes_uploaded"], size)
sh = d["shards"]
assert [s["shard"] for s in sh] == [0, 1, 2] and all(s["state"] == "succeeded" and s["exit_code"] == 0 for s in sh), sh
assert [s["job"] for s in sh] == ["s1-0", "s1-1", "s1-2"], sh
assert sum(s["uploaded"] for s in sh) == n and all(s["uploaded"] > 0 for s in sh), sh
PY
  fail "combined --json: $(cat "$TMP/s1.json")"
# every key's upload (a PUT without partNumber, or the POST ?uploads that starts a multipart one) once
python3 - "$TMP/proxy.log" "$b1" "$tree" <<'PY' || fail "a key was not uploaded exactly once (proxy log: $TMP/proxy.log)"
import os, re, sys, collections, urllib.parse
log, bucket, tree = sys.argv[1:]
starts = collections.Counter()
for line in open(log):
    m = re.match(r"(PUT|POST) /([^/?]+)/([^? ]+)(\?\S*)? ", line)
    if not m or m.group(2) != bucket:
        continue
    q = m.group(4) or ""
    if (m.group(1) == "PUT" and "partNumber=" not in q) or (m.group(1) == "POST" and q.startswith("?uploads")):
        starts[urllib.parse.unquote(m.group(3))] += 1
want = {"raw/" + os.path.relpath(os.path.join(d, f), tree) for d, _, fs in os.walk(tree) for f in fs}
assert set(starts) == want, (sorted(set(starts) ^ want))
twice = {k: v for k, v in starts.items() if v != 1}
assert not twice, twice
PY
[ -z "$(kc -n "$ns" get jobs -l dm.data-mill.io/job=s1 -o name)" ] || fail "the Jobs of a run that succeeded are left"
pass "1. --k8s-job 3 --apply: Complete in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, exit 0, the bucket is the tree byte for byte, each of $nfiles keys uploaded once, --json counts match, Jobs deleted"

# --- 2. a shard's pod killed mid-run: the Job starts another, the bucket still matches -----------
"$SEED" "${job[@]}" --job-name s2 -j 1 lake "x/$b2/raw" >"$TMP/s2.out" 2>"$TMP/s2.err" &
pid=$!
deadline=$(($(date +%s) + 90))
victim=
while [ -z "$victim" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { kill "$pid"; fail "shard 1 never ran: $(cat "$TMP/s2.err")"; }
  # shard 1's pod, once it has uploaded something (the proxy saw a PUT from the pods into b2)
  if [ "$(grep -c "^PUT /$b2/" "$TMP/proxy.log")" -ge 4 ]; then
    victim=$(kc -n "$ns" get pods -l dm.data-mill.io/job=s2,dm.data-mill.io/shard=1 \
      --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
  fi
  [ -n "$victim" ] || sleep 0.3
done
kc -n "$ns" delete pod "$victim" --grace-period=0 --force >/dev/null 2>&1
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/s2.err"; fail "killed pod: exit $rc, expected 0"; }
grep -q "^dm-seed: shard 1: pod $victim went away before it ended" "$TMP/s2.err" ||
  fail "the killed pod is not told: $(cat "$TMP/s2.err")"
grep -q "^dm-seed: shard 1: job s2-1 started pod s2-1-[a-z0-9]* (try 2)" "$TMP/s2.err" ||
  fail "the retry is not told: $(cat "$TMP/s2.err")"
grep -q "^dm-seed: shard 1 done" "$TMP/s2.err" || fail "shard 1 not done: $(cat "$TMP/s2.err")"
same_tree "$tree" "$b2" raw
uploads=$(s3cli s3api list-multipart-uploads --bucket "$b2" --query 'length(Uploads || `[]`)' --output text)
[ "$uploads" = 0 ] || fail "$uploads multipart upload(s) left in $b2"
pass "2. shard 1's pod $victim killed mid-run: the Job started another, exit 0, the bucket is the tree, no multipart upload left"

# --- 3. a file that cannot be uploaded: exit 4, named in the combined result, Jobs kept -----------
bad=$claim/bad
mkdir -p "$bad"
for i in 1 2 3 4 5 6; do echo "ok $i" >"$bad/ok$i.txt"; done
long=$bad
for _ in 1 2 3 4 5; do long=$long/$(printf 'd%.0s' $(seq 1 230)); done
mkdir -p "$long"
echo deep >"$long/deep.txt"     # its key is over 1024 bytes
chmod -R a+rX "$bad"
run_rc 4 "$SEED" "${job[@]}" --k8s-job 2 --backoff-limit 0 --job-name s3 --json bad "x/$b1/bad"
python3 - "$TMP/out" <<'PY' || fail "exit 4 result: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit_code"] == 4 and d["failed"] == 1 and d["uploaded"] == 6, d
assert d["files"] == sum(s["files"] for s in d["shards"]) and d["failed"] == sum(s["failed"] for s in d["shards"]), d
(f,) = d["failures"]
assert f["path"].endswith("/deep.txt") and "1024" in f["reason"], f
states = sorted((s["state"], s["exit_code"]) for s in d["shards"])
assert states == [("failed", 4), ("succeeded", 0)], d["shards"]
PY
grep -q "^dm-seed: error: '/data/bad/d.*/deep.txt': .*1024" "$TMP/err" || fail "no error line for the file: $(cat "$TMP/err")"
grep -q "^dm-seed: error: 1 file(s) failed: see the lines above" "$TMP/err" || fail "no count line: $(cat "$TMP/err")"
grep -q "^dm-seed: the Jobs are kept to look at: kubectl -n $ns get pods -l dm.data-mill.io/job=s3" "$TMP/err" ||
  fail "the kept Jobs are not told: $(cat "$TMP/err")"
[ "$(kc -n "$ns" get jobs -l dm.data-mill.io/job=s3 -o name | wc -l)" -eq 2 ] || fail "the Jobs of s3 are not kept"
pass "3. a key over 1024 bytes: exit 4, the file in the combined --json and on stderr, the Jobs kept"

# --- 4. a Job of one of the names exists: one line, exit 1, nothing created ---------------------
kc -n "$ns" create job dup-1 --image="$DM_TEST_NODE_IMAGE" -- dm-seed --version >/dev/null
before=$(kc -n "$ns" get jobs -o name | sort)
run_rc 1 "$SEED" "${job[@]}" --job-name dup lake "x/$b1/dup"
want="dm-seed: error: job \"dup-1\" already exists in namespace \"$ns\": delete it first (kubectl -n $ns delete job dup-1) or choose another name"
[ "$(cat "$TMP/err")" = "$(printf 'dm-seed: Kubernetes v1.20.2 (no Indexed Jobs before 1.22): 3 Jobs dup-0 .. dup-2, one a shard, in namespace %s\n%s' "$ns" "$want")" ] ||
  fail "existing Job: stderr '$(cat "$TMP/err")'"
[ ! -s "$TMP/out" ] || fail "existing Job: stdout '$(cat "$TMP/out")'"
[ "$(kc -n "$ns" get jobs -o name | sort)" = "$before" ] || fail "Jobs were created: $(kc -n "$ns" get jobs -o name)"
[ -z "$(kc -n "$ns" get pods -l dm.data-mill.io/job=dup -o name)" ] || fail "pods of dup were created"
[ -z "$(keys_in "$b1" dup/)" ] || fail "objects under dup/ were uploaded"
pass "4. an existing Job dup-1: one error line naming it, exit 1, nothing created"

# --- 5. SIGTERM while the shards run: exit 130, Jobs and pods deleted -----------------------------
"$SEED" "${job[@]}" --job-name s5 -j 1 lake "x/$b5/raw" >"$TMP/s5.out" 2>"$TMP/s5.err" &
pid=$!
deadline=$(($(date +%s) + 90))
until grep -q "^PUT /$b5/" "$TMP/proxy.log"; do
  [ "$(date +%s)" -lt "$deadline" ] || { kill "$pid"; fail "no upload of s5 began: $(cat "$TMP/s5.err")"; }
  sleep 0.3
done
# SIGTERM: a background job of a script starts with SIGINT ignored, which dm-seed leaves so
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || { cat "$TMP/s5.err"; fail "SIGTERM: exit $rc, expected 130"; }
grep -qx "dm-seed: error: interrupted: jobs \"s5-0\" .. \"s5-2\" deleted, with their pods" "$TMP/s5.err" ||
  fail "SIGTERM message: $(cat "$TMP/s5.err")"
[ -z "$(kc -n "$ns" get jobs -l dm.data-mill.io/job=s5 -o name)" ] || fail "Jobs of s5 left after SIGTERM"
# the kubelet stops the pods' containers in its own time (seconds; more on a loaded machine)
deadline=$(($(date +%s) + 120))
until [ -z "$(kc -n "$ns" get pods -l dm.data-mill.io/job=s5 -o name)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "pods of s5 left 120 s after SIGTERM: $(kc -n "$ns" get pods -l dm.data-mill.io/job=s5)"
  sleep 0.5
done
pass "5. SIGTERM: exit 130, the Jobs of s5 deleted and their pods gone"

# --- 6. --timeout: exit 1, the Jobs left running and named ---------------------------------------
run_rc 1 "$SEED" "${job[@]}" --job-name s7 -j 1 --timeout 3s lake "x/$b5/t7"
grep -qx "dm-seed: error: timed out after [0-9]* s waiting for the shards: jobs \"s7-0\" .. \"s7-2\" left in namespace \"$ns\" (kubectl -n $ns delete jobs -l dm.data-mill.io/job=s7)" \
  "$TMP/err" || fail "timeout message: $(cat "$TMP/err")"
[ "$(kc -n "$ns" get jobs -l dm.data-mill.io/job=s7 -o name | wc -l)" -eq 3 ] || fail "the Jobs of s7 are not left"
kc -n "$ns" delete jobs -l dm.data-mill.io/job=s7 >/dev/null
pass "6. --timeout 3s: exit 1, the Jobs left running and the command to delete them named"

# --- 7. the printed per-shard manifest on the 1.20 server ----------------------------------------
run_rc 0 "$SEED" --k8s-job 3 --job-form per-shard --host-network --image "$DM_TEST_NODE_IMAGE" --namespace "$ns" \
  --pvc lake --secret s3keys --access-key-field ak --secret-key-field sk --endpoint "$endpoint" --job-name printed lake "x/$b1/p"
kc apply --dry-run=server -f "$TMP/out" >"$TMP/apply.out" 2>&1 || fail "kubectl apply --dry-run=server: $(cat "$TMP/apply.out")"
[ "$(grep -c '^job.batch/printed-[012] created (server dry run)$' "$TMP/apply.out")" -eq 3 ] ||
  fail "dry run: $(cat "$TMP/apply.out")"
pass "7. the printed per-shard manifest passes kubectl apply --dry-run=server on v1.20.2"
# --- 8. the options that choose and shape the upload: a Job run lands what a local run lands -----
# (the local run reads the same tree on this machine; the Job's pods read it through the claim)
opts=(--exclude 'logs/*' --include '*.csv' --include 'a/*' --part-size 5MiB --multipart-threshold 6MiB -j 3 --retries 2)
b8=$(new_bucket same)
s3cli s3 mb "s3://$b8" >/dev/null
run_rc 0 "$SEED" "${job[@]}" --job-name s8 "${opts[@]}" lake "x/$b8/job"
run_rc 0 "$SEED" --no-progress "${opts[@]}" "$tree" "dmtest/$b8/local"
listing() { # PREFIX: "key etag size" of every object under PREFIX, the prefix cut off
  s3cli s3api list-objects-v2 --bucket "$b8" --prefix "$1/" --output json |
    python3 -c 'import json,sys; p=sys.argv[1]; [print(o["Key"][len(p)+1:], o["ETag"], o["Size"]) for o in sorted(json.load(sys.stdin).get("Contents", []), key=lambda o: o["Key"])]' "$1"
}
listing job >"$TMP/job.list"
listing local >"$TMP/local.list"
cmp -s "$TMP/job.list" "$TMP/local.list" || { diff "$TMP/local.list" "$TMP/job.list" >&2; fail "8. the Job run and the local run landed different objects"; }
grep -q '^logs/' "$TMP/job.list" && fail "8. --exclude 'logs/*' was not carried into the Job"
grep -q '^a/b/' "$TMP/job.list" || fail "8. --include 'a/*' did not take a/b/c/n1.bin ('*' matches '/')"
grep -q '^a/big.bin "[0-9a-f]*-3" ' "$TMP/job.list" || fail "8. --part-size 5MiB was not carried (a/big.bin: $(grep big "$TMP/job.list"))"
pass "8. the same options (--exclude, --include, --part-size, --multipart-threshold, -j, --retries) as a Job and as a local run: the same $(wc -l <"$TMP/job.list") objects, ETags and sizes"
echo "node-seed-job: all passed"

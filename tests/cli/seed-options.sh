#!/usr/bin/env bash
# dm-seed's options against the real RGW: --delete, --verify, --dry-run,
# --include/--exclude, --json, a multipart upload aborted when the server keeps
# failing, and --k8s-job.
. "$(dirname "$0")/seed-lib.sh"

src="$TMP/src"
mkdir -p "$src/keep" "$src/logs"
for i in 1 2 3; do echo "data $i" >"$src/keep/f$i.csv"; echo "log $i" >"$src/logs/l$i.log"; done
echo readme >"$src/README.txt"

# --dry-run changes nothing, not even the bucket
b=$(new_bucket dry)
run_rc 0 "$SEED" --dry-run --no-progress "$src" "dmtest/$b"
[ "$(grep -c '^would upload ' "$TMP/out")" -eq 7 ] || fail "dry run plan: $(cat "$TMP/out")"
s3cli s3api head-bucket --bucket "$b" >/dev/null 2>&1 && fail "--dry-run created the bucket"
pass "--dry-run: plan printed, nothing created"

# --include/--exclude: first match wins
run_rc 0 "$SEED" -v --no-progress --exclude 'keep/f2.csv' --include '*.csv' "$src" "dmtest/$b"
[ "$(keys_in "$b" | tr '\n' ' ')" = "keep/f1.csv keep/f3.csv " ] || fail "include/exclude: $(keys_in "$b")"
run_rc 0 "$SEED" -v --no-progress --exclude '*.log' "$src" "dmtest/$b"
[ "$(keys_in "$b" | tr '\n' ' ')" = "README.txt keep/f1.csv keep/f2.csv keep/f3.csv " ] || fail "exclude: $(keys_in "$b")"
pass "--include/--exclude: first match wins"

# --json matches reality
run_rc 0 "$SEED" --json --no-progress "$src" "dmtest/$b"
[ "$(json_get "$TMP/out" 'd["uploaded"]')" -eq 3 ] || fail "json uploaded: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["skipped"]')" -eq 4 ] || fail "json skipped: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["bytes_uploaded"]')" -eq "$(cat "$src"/logs/*.log | wc -c)" ] || fail "json bytes: $(cat "$TMP/out")"
[ "$(json_get "$TMP/out" 'd["exit_code"]')" -eq 0 ] || fail "json exit code"
[ "$(keys_in "$b" | wc -l)" -eq 7 ] || fail "objects: $(keys_in "$b")"
pass "--json: counts and bytes match the bucket"

# --delete removes exactly the stale keys under the prefix, and only with the flag
s3cli s3 cp --quiet "$src/README.txt" "s3://$b/other/outside.txt"
rm "$src/logs/l2.log" "$src/keep/f3.csv"
run_rc 0 "$SEED" -v --no-progress "$src" "dmtest/$b"
[ "$(keys_in "$b" | wc -l)" -eq 8 ] || fail "deleted without --delete: $(keys_in "$b")"
run_rc 0 "$SEED" -v --no-progress --delete --exclude 'other/*' "$src" "dmtest/$b"
[ "$(grep '^deleted ' "$TMP/out" | sort | tr '\n' ' ')" = "deleted $b/keep/f3.csv deleted $b/logs/l2.log " ] || fail "deleted: $(cat "$TMP/out")"
[ "$(keys_in "$b" | tr '\n' ' ')" = "README.txt keep/f1.csv keep/f2.csv logs/l1.log logs/l3.log other/outside.txt " ] || fail "after --delete: $(keys_in "$b")"
pass "--delete: exactly the stale keys (excluded ones kept)"

# --delete with a prefix touches nothing outside it, not even keys that share its string
# prefix ("pre", "pre-x/...", "prez...": a listing of "pre" without the '/' would hold them)
run_rc 0 "$SEED" --no-progress "$src" "dmtest/$b/pre"
mkdir -p "$TMP/near/pre-x"
for k in pre pre-x/b.txt prez.txt; do printf 'near %s\n' "$k" >"$TMP/near/$k"; done
s3cli s3 cp --quiet --recursive "$TMP/near" "s3://$b/"
run_rc 0 "$SEED" -v --no-progress --delete --max-delete 5 "$src/keep" "dmtest/$b/pre"
[ "$(grep '^deleted ' "$TMP/out" | sort | tr '\n' ' ')" = "deleted $b/pre/README.txt deleted $b/pre/keep/f1.csv deleted $b/pre/keep/f2.csv deleted $b/pre/logs/l1.log deleted $b/pre/logs/l3.log " ] || fail "prefix delete: $(cat "$TMP/out")"
keys_in "$b" | grep -q '^README.txt$' || fail "--delete with a prefix removed a key outside it"
# downloaded again with the AWS CLI (pre/ itself left out: a file and a folder named "pre")
s3cli s3 cp --quiet --recursive "s3://$b/" "$TMP/near.got" --exclude '*' --include pre --include 'pre-x/*' --include prez.txt
diff -r "$TMP/near" "$TMP/near.got" || fail "--delete with prefix pre/ removed or changed a key outside it"
[ "$(keys_in "$b" pre/ | tr '\n' ' ')" = "pre/f1.csv pre/f2.csv " ] || fail "under pre/: $(keys_in "$b" pre/)"
pass "--delete stays inside its prefix (pre, pre-x/b.txt, prez.txt kept byte for byte)"

# --verify: all good, then an object overwritten by another client is found, exit 4
run_rc 0 "$SEED" --verify --no-progress --exclude 'other/*' --exclude 'pre/*' "$src" "dmtest/$b"
grep -q "5 verified, 0 failed" "$TMP/err" || fail "verify summary: $(cat "$TMP/err")"
echo "corrupted!" >"$TMP/corrupt"
s3cli s3 cp --quiet "$TMP/corrupt" "s3://$b/keep/f1.csv"
run_rc 4 "$SEED" --verify --no-progress --json --exclude 'other/*' --exclude 'pre/*' "$src" "dmtest/$b"
grep -q "keep/f1.csv': object differs" "$TMP/err" || fail "verify message: $(cat "$TMP/err")"
[ "$(json_get "$TMP/out" 'd["failures"][0]["key"]')" = "keep/f1.csv" ] || fail "verify json: $(cat "$TMP/out")"
[ "$(s3cli s3 cp --quiet "s3://$b/keep/f1.csv" -)" = "corrupted!" ] || fail "--verify changed the object"
pass "--verify: corrupted object found, exit 4, nothing uploaded"

# a multipart upload that the server keeps failing is aborted: no upload lingers
mkdir -p "$TMP/mp"; head -c $((20 << 20)) /dev/urandom >"$TMP/mp/big.bin"
upstream=${DM_TEST_S3_ENDPOINT#http://}
coproc PROXY { exec python3 "$HERE/fault-proxy.py" "$upstream" "$TMP/proxy.port" 'PUT:partNumber=2:500' 2>"$TMP/proxy.log"; }
for _ in $(seq 100); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
[ -s "$TMP/proxy.port" ] || fail "fault proxy did not start: $(cat "$TMP/proxy.log")"
export MC_HOST_flaky="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$(cat "$TMP/proxy.port")"
run_rc 4 "$SEED" --no-progress --retries 2 --part-size 5MiB --multipart-threshold 5MiB "$TMP/mp" "flaky/$b/mp"
grep -q "big.bin': part 2: .*InternalError.*after 2 retries" "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ "$(grep -c 'partNumber=2' "$TMP/proxy.log")" -eq 3 ] || fail "part 2 not tried 3 times: $(cat "$TMP/proxy.log")"
grep -q '^DELETE .*uploadId=' "$TMP/proxy.log" || fail "no abort sent: $(cat "$TMP/proxy.log")"
uploads=$(s3cli s3api list-multipart-uploads --bucket "$b" --query 'length(Uploads || `[]`)' --output text)
[ "$uploads" = "0" ] || fail "$uploads multipart uploads linger"
keys_in "$b" mp/ | grep -q . && fail "a failed multipart upload left an object"
exec {PROXY[1]}>&-
wait "$PROXY_PID" 2>/dev/null || true
pass "failing multipart upload aborted, nothing lingers"

# --k8s-job prints an Indexed Job manifest with the shards, the Secret and the claim
run_rc 0 "$SEED" --k8s-job 4 --pvc seed-data --secret minio --endpoint http://minio.data-mill:9000 \
  --flavour "$DM_SOURCE_DIR/flavours/default.yaml" data "dmtest/datalake/raw"
python3 - "$TMP/out" <<'PY' || fail "k8s job manifest: $(cat "$TMP/out")"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["apiVersion"] == "batch/v1" and d["kind"] == "Job", d
s = d["spec"]
assert s["completionMode"] == "Indexed" and s["completions"] == 4 and s["parallelism"] == 4, s
c = s["template"]["spec"]["containers"][0]
assert c["args"][:2] == ["--shard", "$(JOB_COMPLETION_INDEX)/4"], c["args"]
assert c["args"][-2:] == ["/data/data", "s3/datalake/raw"], c["args"]
env = {e["name"]: e for e in c["env"]}
assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {"name": "minio", "key": "rootUser"}, env
assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "minio", env
assert env["AWS_ENDPOINT_URL"]["value"] == "http://minio.data-mill:9000"
assert "job-completion-index" in env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
v = s["template"]["spec"]["volumes"][0]
assert v["persistentVolumeClaim"]["claimName"] == "seed-data", v
assert c["volumeMounts"][0]["mountPath"] == "/data"
PY
run_rc 2 "$SEED" --k8s-job 4 data dmtest/datalake
grep -q -- "--k8s-job needs --pvc" "$TMP/err" || fail "message: $(cat "$TMP/err")"
pass "--k8s-job: valid Indexed Job manifest"
echo "seed-options: all passed"

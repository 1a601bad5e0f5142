#!/usr/bin/env bash
# --k8s-job against the real RGW: the Job does what a local run of the same options does.
# The manifest is taken apart (python3 + yaml); each pod's args and env are run here as the
# pod would run them: $(VAR) expanded and "$$" read as "$" as Kubernetes does, the keys of
# the Secret in place of each secretKeyRef, the completion index in place of its fieldRef,
# and the claim's mountPath mapped to the local folder that plays the claim.  The bucket the
# pods fill is then compared with a bucket filled by a plain local run of the same options:
# the same keys, the same ETags, the same bytes (AWS CLI).  Then each option alone: it
# reaches the pods' args, by its long name and with its value, in the order given.
. "$(dirname "$0")/seed-lib.sh"

claim=$TMP/claim                # what the claim holds
src=$claim/lake
mkdir -p "$src/keep" "$src/logs" "$src/odd"
for i in $(seq 1 12); do echo "row $i" >"$src/keep/f$i.csv"; echo "log $i" >"$src/logs/l$i.log"; done
echo readme >"$src/README.txt"
echo price >"$src/odd/price \$(HOME) \$\$.csv"   # Kubernetes' $(VAR) syntax in a file name
head -c $((12 * 1024 * 1024 + 7)) /dev/urandom >"$src/keep/big.csv"   # 3 parts of 5 MiB

b_job=$(new_bucket job)
b_local=$(new_bucket local)
for b in "$b_job" "$b_local"; do
  s3cli s3 mb "s3://$b" >/dev/null
done
# stale objects: --delete removes those its filters select, in both runs alike
mkdir -p "$TMP/stale/keep" "$TMP/stale/logs"
for k in stale.csv keep/f1.csv logs/old.log; do echo stale >"$TMP/stale/$k"; done
for b in "$b_job" "$b_local"; do s3cli s3 cp --quiet --recursive "$TMP/stale" "s3://$b/raw"; done

# the options under test: filters (first match wins), part size and threshold, jobs, retries,
# connect timeout, --delete
opts=(--exclude 'keep/f1*' --include '*.csv' --include README.txt -j 3 --retries 2 --connect-timeout 5s
      --multipart-threshold 5MiB --part-size 5MiB --delete --max-delete 1)
shards=3

# every platform default given: no flavour is read (there is none in $claim)
(cd "$claim" && "$SEED" --k8s-job "$shards" --pvc lake-claim --secret s3keys --access-key-field ak \
  --secret-key-field sk --endpoint "$DM_TEST_S3_ENDPOINT" --namespace lake "${opts[@]}" lake "anything/$b_job/raw") \
  >"$TMP/job.yaml" 2>"$TMP/job.err" || { cat "$TMP/job.err"; fail "--k8s-job failed"; }

# run the pods here, all at once as the Job starts them
python3 - "$TMP/job.yaml" "$claim" "$SEED" "$DM_TEST_S3_ACCESS_KEY" "$DM_TEST_S3_SECRET_KEY" "$TMP" <<'PY' ||
import os, re, subprocess, sys, yaml
manifest, claim, seed, ak, sk, tmp = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
assert len(docs) == 1, docs
job = docs[0]
assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", job
spec = job["spec"]
n = spec["completions"]
assert spec["completionMode"] == "Indexed" and spec["parallelism"] == n, spec
pod = spec["template"]["spec"]
(c,) = pod["containers"]
assert c["command"] == ["dm-seed"], c   # dm's image has no entrypoint: args alone would replace its CMD
assert c["imagePullPolicy"] == "IfNotPresent" and pod["restartPolicy"] == "Never", (c, pod)
assert "hostNetwork" not in pod, pod
volumes = {v["name"]: v for v in pod["volumes"]}
mounts = [m for m in c["volumeMounts"] if volumes[m["name"]]["persistentVolumeClaim"]["claimName"] == "lake-claim"]
assert len(mounts) == 1, c["volumeMounts"]
mount = mounts[0]["mountPath"]
secrets = {"s3keys": {"ak": ak, "sk": sk}}

def expand(s, env):
    """Kubernetes' $(VAR) expansion: a defined variable is replaced, "$$" is "$"."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), s)

procs = []
for i in range(n):
    env = {"PATH": os.environ["PATH"], "HOME": tmp + "/pod-home",
           "DM_ALIASES": tmp + "/pod-none.yaml", "MC_CONFIG_DIR": tmp + "/pod-none"}
    for e in c["env"]:
        if "value" in e:
            v = expand(e["value"], env)
        elif "secretKeyRef" in e["valueFrom"]:
            r = e["valueFrom"]["secretKeyRef"]
            v = secrets[r["name"]][r["key"]]
        else:
            assert "job-completion-index" in e["valueFrom"]["fieldRef"]["fieldPath"], e
            v = str(i)
        env[e["name"]] = v
    args = [expand(a, env) for a in c["args"]]
    args = [claim + a[len(mount):] if a == mount or a.startswith(mount + "/") else a for a in args]
    with open(f"{tmp}/pod{i}.args", "w") as f:
        f.write("\n".join(args) + "\n")
    procs.append(subprocess.Popen([seed] + args, env=env, stdout=open(f"{tmp}/pod{i}.out", "w"),
                                  stderr=open(f"{tmp}/pod{i}.err", "w")))
bad = [i for i, p in enumerate(procs) if p.wait() != 0]
for i in bad:
    sys.stderr.write(open(f"{tmp}/pod{i}.err").read())
sys.exit(1 if bad else 0)
PY
  fail "a pod of the Job failed"
grep -qx -- "--shard" "$TMP/pod0.args" && grep -qx "2/3" "$TMP/pod2.args" || fail "the pods do not run their shards: $(cat "$TMP/pod2.args")"

# the same options, one plain local run
run_rc 0 "$SEED" --no-progress "${opts[@]}" "$src" "dmtest/$b_local/raw"

listing() { # BUCKET: key and ETag of every object, sorted
  s3cli s3api list-objects-v2 --bucket "$1" --output json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(sorted(o["Key"] + " " + o["ETag"] for o in d.get("Contents", []))))'
}
listing "$b_job" >"$TMP/job.list"
listing "$b_local" >"$TMP/local.list"
diff "$TMP/local.list" "$TMP/job.list" || fail "the Job's bucket differs from the local run's (< local, > job)"
# what the options mean, so that two runs alike cannot both be wrong
# (raw/stale.csv deleted; raw/keep/f1.csv and raw/logs/old.log excluded, so left alone)
keys=$(sed 's/ "[^"]*"$//' "$TMP/job.list" | tr '\n' ' ')
want="raw/README.txt raw/keep/big.csv raw/keep/f1.csv raw/keep/f2.csv raw/keep/f3.csv raw/keep/f4.csv raw/keep/f5.csv raw/keep/f6.csv raw/keep/f7.csv raw/keep/f8.csv raw/keep/f9.csv raw/logs/old.log raw/odd/price \$(HOME) \$\$.csv "
[ "$keys" = "$want" ] || fail "keys: '$keys', wanted '$want'"
grep -q '^raw/keep/big.csv "[0-9a-f]*-3"$' "$TMP/job.list" || fail "big.csv was not uploaded in 5 MiB parts: $(grep big "$TMP/job.list")"
for b in "$b_job" "$b_local"; do
  mkdir -p "$TMP/dl-$b"
  s3cli s3 cp --recursive --quiet "s3://$b/raw" "$TMP/dl-$b" >/dev/null
done
diff -r "$TMP/dl-$b_local" "$TMP/dl-$b_job" || fail "the bytes of the Job's bucket differ from the local run's"
cmp "$src/keep/big.csv" "$TMP/dl-$b_job/keep/big.csv" || fail "big.csv differs from its file"
pass "--k8s-job $shards with filters, part size, threshold, -j, retries, connect timeout, --delete: the same keys, ETags and bytes as a local run"

# --- the defaults come from the shipped platform -----------------------------------------------
# components/minio/config.yaml: Secret minio-credentials (rootUser, rootPassword), endpoint
# http://${release}.${namespace}.svc.cluster.local:9000; flavours/default.yaml: namespace data-mill
flavour=$DM_SOURCE_DIR/flavours/default.yaml
job_env() { # FILE: "NAME=secret:key" or "NAME=value" of each env entry, the namespace and the image
  python3 - "$1" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
c = d["spec"]["template"]["spec"]["containers"][0]
print("namespace=" + d["metadata"]["namespace"])
print("image=" + c["image"])
for e in c["env"][1:]:
    r = e.get("valueFrom", {}).get("secretKeyRef")
    print(e["name"] + "=" + (r["name"] + ":" + r["key"] if r else e["value"]))
PY
}
(cd "$TMP" && "$SEED" --k8s-job 2 --pvc p --flavour "$flavour" lake x/bkt) >"$TMP/def.yaml" 2>"$TMP/err" ||
  { cat "$TMP/err"; fail "--k8s-job with the shipped flavour failed"; }
version=$("$SEED" --version | awk '{ print $2 }')
printf '%s\n' namespace=data-mill "image=localhost/dm:$version" AWS_ACCESS_KEY_ID=minio-credentials:rootUser \
  AWS_SECRET_ACCESS_KEY=minio-credentials:rootPassword \
  AWS_ENDPOINT_URL=http://minio.data-mill.svc.cluster.local:9000 >"$TMP/def.want"
job_env "$TMP/def.yaml" | diff "$TMP/def.want" - || fail "the Job's defaults are not the shipped minio component's"
# $DM_FLAVOUR, and flavours/default.yaml in the working folder, are found the same way;
# --namespace moves the endpoint along; given options stay as given
(cd "$TMP" && DM_FLAVOUR=$flavour "$SEED" --k8s-job 2 --pvc p --namespace lake --secret-key-field pw lake x/bkt) \
  >"$TMP/def2.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "--k8s-job with \$DM_FLAVOUR failed"; }
printf '%s\n' namespace=lake "image=localhost/dm:$version" AWS_ACCESS_KEY_ID=minio-credentials:rootUser \
  AWS_SECRET_ACCESS_KEY=minio-credentials:pw AWS_ENDPOINT_URL=http://minio.lake.svc.cluster.local:9000 >"$TMP/def2.want"
job_env "$TMP/def2.yaml" | diff "$TMP/def2.want" - || fail "\$DM_FLAVOUR, --namespace, --secret-key-field"
(cd "$DM_SOURCE_DIR" && "$SEED" --k8s-job 2 --pvc p lake x/bkt) >"$TMP/def3.yaml" 2>"$TMP/err" ||
  { cat "$TMP/err"; fail "--k8s-job in the repository (flavours/default.yaml) failed"; }
job_env "$TMP/def3.yaml" | diff "$TMP/def.want" - || fail "flavours/default.yaml of the working folder"
# another component, and one that names no Secret
mkdir -p "$TMP/plat/flavours" "$TMP/plat/components/store" "$TMP/plat/components/bare"
printf 'project:\n  k8s_namespace: plat-ns\n  flavour: all\n' >"$TMP/plat/flavours/f.yaml"
printf 'name: store\nkind: manifest\nmanifests: [x.yaml]\nsecret:\n  name: st\n  keys: {access_key: a, secret_key: s}\n  endpoint: https://s3.${namespace}.example:8443\n' \
  >"$TMP/plat/components/store/config.yaml"
printf 'name: bare\nkind: manifest\nmanifests: [x.yaml]\n' >"$TMP/plat/components/bare/config.yaml"
(cd "$TMP" && "$SEED" --k8s-job 2 --pvc p --flavour "$TMP/plat/flavours/f.yaml" --component store lake x/bkt) \
  >"$TMP/def4.yaml" 2>"$TMP/err" || { cat "$TMP/err"; fail "--component store failed"; }
printf '%s\n' namespace=plat-ns "image=localhost/dm:$version" AWS_ACCESS_KEY_ID=st:a AWS_SECRET_ACCESS_KEY=st:s \
  AWS_ENDPOINT_URL=https://s3.plat-ns.example:8443 >"$TMP/def4.want"
job_env "$TMP/def4.yaml" | diff "$TMP/def4.want" - || fail "--component store"
(cd "$TMP" && run_rc 3 "$SEED" --k8s-job 2 --pvc p --flavour "$TMP/plat/flavours/f.yaml" --component bare lake x/bkt)
[ "$(cat "$TMP/err")" = "dm-seed: error: $TMP/plat/components/bare/config.yaml: component 'bare' names no Secret, having no 'secret:' map (give --component NAME, or --secret, --access-key-field, --secret-key-field, --endpoint and --namespace)" ] ||
  fail "--component bare: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "--component bare printed a manifest"
# no platform files and no --endpoint: a usage error that names what to give, never the alias's URL
(cd "$DM_TEST_CWD" && MC_HOST_x=http://ak:sk@127.0.0.1:9000 run_rc 2 "$SEED" --k8s-job 2 --pvc p --secret s lake x/bkt)
[ "$(head -1 "$TMP/err")" = "dm-seed: error: --k8s-job: no platform found: no .dm-platform in '$DM_TEST_CWD' or a folder above it, and none installed in '$DM_TEST_SHARE_DIR' (name the platform root with --root DIR or \$DM_HOME), to take the S3 keys and endpoint of component 'minio' from: give --root DIR or --flavour FILE, or --access-key-field, --secret-key-field, --endpoint, --namespace" ] ||
  fail "no platform: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "no platform: a manifest was printed"
pass "--k8s-job defaults: the shipped minio component's Secret, keys, in-cluster endpoint and namespace; --component; no platform: exit 2"

# --- each option alone reaches the pods --------------------------------------------------------
export DM_FLAVOUR=$flavour   # the Secret and namespace of the shipped platform
cases=0
each() { # WANT-ARGS... -- OPTIONS...: the pods' options between --no-progress and SOURCE
  local want=()
  while [ "$1" != -- ]; do want+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  run_rc 0 "$SEED" --k8s-job 2 --pvc p --endpoint http://minio:9000 "$@" lake "x/bkt/pre"
  mv "$TMP/out" "$TMP/each$cases.yaml"
  printf '%s\n' "$*" >"$TMP/each$cases.given"
  printf '%s\0' "${want[@]}" >"$TMP/each$cases.want"
}
each --jobs 7 -- -j 7
each --jobs 7 -- --jobs 7
each --part-size 6MiB -- --part-size 6MiB
each --multipart-threshold 7MiB -- --multipart-threshold 7MiB
each --retries 0 -- --retries 0
each --connect-timeout 3s -- --connect-timeout 3s
each --dry-run -- --dry-run
each --delete -- --delete
each --delete --max-delete all -- --delete --max-delete all
each --verify -- --verify
each --include '*.csv' -- --include '*.csv'
each --exclude 'a b/*' -- --exclude 'a b/*'
each --exclude x --include y --exclude z -- --exclude x --include y --exclude z
each --insecure -- --insecure
each --json -- --json
each --verbose --verbose -- -vv
each --quiet -- -q
each -- --no-progress --image i:1 --namespace n --job-name j --secret s --access-key-field a --secret-key-field b
each --include 'a$$(HOME)$$x' -- --include 'a$(HOME)$x'   # Kubernetes would expand $(HOME)
python3 - "$TMP" "$cases" <<'PY' || fail "an option did not reach the pods as given"
import sys, yaml
tmp, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    d = yaml.safe_load(open(f"{tmp}/each{i}.yaml"))
    args = d["spec"]["template"]["spec"]["containers"][0]["args"]
    want = [w for w in open(f"{tmp}/each{i}.want").read().split("\0") if w]
    given = open(f"{tmp}/each{i}.given").read().strip()
    assert args[:3] == ["--shard", "$(JOB_COMPLETION_INDEX)/2", "--no-progress"], (given, args)
    assert args[-2:] == ["/data/lake", "s3/bkt/pre"], (given, args)
    assert args[3:-2] == want, f"{given}: the pods got {args[3:-2]}, wanted {want}"
PY
pass "each option alone reaches the pods' args by its long name, with its value, in the order given"
# --- the per-shard form: the same pods, one Job a shard, "--shard I/N" as written ---------------------
run_rc 0 "$SEED" --k8s-job 3 --job-form per-shard --host-network --backoff-limit 1 --pvc p --job-name lake \
  --endpoint http://minio:9000 -j 3 --include '*.csv' lake "x/bkt/pre"
mv "$TMP/out" "$TMP/per-shard.yaml"
run_rc 0 "$SEED" --k8s-job 3 --host-network --backoff-limit 1 --pvc p --job-name lake \
  --endpoint http://minio:9000 -j 3 --include '*.csv' lake "x/bkt/pre"
mv "$TMP/out" "$TMP/indexed.yaml"
python3 - "$TMP/per-shard.yaml" "$TMP/indexed.yaml" <<'PY' || fail "per-shard form: $(cat "$TMP/per-shard.yaml")"
import copy, sys, yaml
text = open(sys.argv[1]).read()
assert text.startswith("# dm-seed as 3 Kubernetes Jobs, one a shard: Job lake-I seeds shard I/3.\n---\n"), text[:200]
docs = [d for d in yaml.safe_load_all(text) if d]
(indexed,) = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
assert len(docs) == 3, docs
for i, d in enumerate(docs):
    labels = {"app.kubernetes.io/name": "dm-seed", "dm.data-mill.io/job": "lake", "dm.data-mill.io/shard": str(i)}
    assert d["metadata"]["name"] == f"lake-{i}" and d["metadata"]["labels"] == labels, d["metadata"]
    s = d["spec"]
    assert (s["completions"], s["parallelism"], s["backoffLimit"]) == (1, 1, 1) and "completionMode" not in s, s
    assert s["template"]["metadata"]["labels"] == labels, s["template"]
    pod = s["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet", pod
    (c,) = pod["containers"]
    assert c["args"] == ["--shard", f"{i}/3", "--no-progress", "--jobs", "3", "--include", "*.csv", "/data/lake", "s3/bkt/pre"], c["args"]
    # the same pod as the Indexed form's, but for its shard and the completion index
    ipod = copy.deepcopy(indexed["spec"]["template"]["spec"])
    ic = ipod["containers"][0]
    ic["args"][1] = f"{i}/3"
    ic["env"] = [e for e in ic["env"] if e["name"] != "JOB_COMPLETION_INDEX"]
    assert pod == ipod, (pod, ipod)
assert indexed["spec"]["backoffLimit"] == 3 and indexed["spec"]["completionMode"] == "Indexed", indexed["spec"]
PY
pass "--job-form per-shard: 3 Jobs lake-0..2 with their labels, '--shard I/3' as written, the Indexed form's pod otherwise"
echo "seed-job: all passed"

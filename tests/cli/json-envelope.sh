#!/usr/bin/env bash
# One --json for every tool (docs/json.md): each tool and command, on success and on errors (a
# bad flag, a missing flavour, a refused combination, a failure at run time), prints exactly one
# document on stdout that docs/json.schema.json accepts, whose exit_code is the process's exit
# code, whose error is the line the tool printed on stderr ("TOOL: error: MESSAGE"), and which
# never holds a secret it was not asked for.  dm-seed --ndjson's event lines are checked against
# the schema's seed_event.  Servers: the S3 test server (fixture s3: dm-seed) and the Kubernetes
# API (fixture k8s: dm-secrets, and helm from its tools); dm-gpu runs on the fake NVIDIA
# libraries of the gpu tests.  -q is checked here too where a run needs a server.
set -u
: "${DM_BIN:?run through ctest}" "${DM_TEST_WORK:?}" "${DM_SOURCE_DIR:?}" "${DM_BUILD_DIR:?}"
for f in k8s/env s3/env; do
  [ -f "$DM_TEST_WORK/$f" ] || { echo "FAIL: no $DM_TEST_WORK/$f (fixtures k8s and s3 not up?)"; exit 1; }
done
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3/env"
T=$(mktemp -d "$DM_TEST_WORK/json.XXXXXX")
export HOME=$T/home DM_ALIASES=$T/aliases.yaml MC_CONFIG_DIR=$T/no-mc
export HELM_CACHE_HOME=$T/helm/cache HELM_CONFIG_HOME=$T/helm/config HELM_DATA_HOME=$T/helm/data
mkdir -p "$HOME"
unset DM_FLAVOUR DM_HOME DM_HELM DM_KUBECTL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL \
  KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
cd "${DM_TEST_CWD:?}" || exit 1
ns=json-$$-$RANDOM
cleanup() {
  "$DM_TEST_KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
SCHEMA=$DM_SOURCE_DIR/docs/json.schema.json
ROOT=$DM_SOURCE_DIR
FLAVOUR=$ROOT/flavours/default.yaml
fails=0
cases=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok - $*"; }

# The checks of every document: one JSON document on stdout (or, with ndjson, event lines and
# the document last), valid against the schema, the tool's name, exit_code = the exit code, an
# error message that stderr says in the tool's form, no error line when it succeeded.
cat >"$T/check.py" <<'PY'
import json, sys
import jsonschema
schema_file, out, err, rc, tool, mode = sys.argv[1:7]
rc = int(rc)
schema = json.load(open(schema_file))
v = jsonschema.Draft202012Validator(schema)
text = open(out, encoding="utf-8").read()
problems = []
if mode == "ndjson":
    lines = text.splitlines()
    if not lines:
        sys.exit("no line on stdout")
    event = "helm_event" if tool == "dm-helm" else "seed_event"
    ev = jsonschema.Draft202012Validator(dict(schema["$defs"][event], **{"$defs": schema["$defs"]}))
    for line in lines[:-1]:
        for e in ev.iter_errors(json.loads(line)):
            problems.append("event %s: %s" % (line, e.message))
    doc = json.loads(lines[-1])
else:
    doc = json.loads(text)  # exactly one document, nothing else
for e in v.iter_errors(doc):
    problems.append("schema: %s at %s" % (e.message, "/".join(map(str, e.absolute_path))))
if doc.get("tool") != tool:
    problems.append("tool %r" % doc.get("tool"))
if doc.get("exit_code") != rc:
    problems.append("exit_code %r, the process exited %d" % (doc.get("exit_code"), rc))
errlines = open(err, encoding="utf-8", errors="replace").read().splitlines()
said = [l for l in errlines if l.startswith(tool + ": error: ")]
if rc == 0 and said:
    problems.append("exit 0 with an error line on stderr: %s" % said[0])
if rc != 0:
    # the message is on the error line; a partial failure (exit 4) says it on a line of its list
    msg = (doc.get("error") or {}).get("message", "")
    lines = [l for l in errlines if l.startswith(tool + ": ")] if rc == 4 else said
    if not msg or not any(msg in l for l in lines):
        problems.append("error.message %r is not on an error line of stderr %r" % (msg, errlines[:4]))
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY

# jrun NAME WANT TOOL [ndjson] [VAR=value...] -- ARGS...: runs $DM_BIN/TOOL ARGS with the
# variables, stdout in $T/NAME.out, stderr in $T/NAME.err, and checks the exit code and the
# document.
jrun() {
  local name=$1 want=$2 tool=$3 mode=doc rc=0 envs=()
  shift 3
  [ "${1:-}" = ndjson ] && { mode=ndjson; shift; }
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  env ${envs[@]+"${envs[@]}"} "$DM_BIN/$tool" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null || rc=$?
  if [ "$rc" != "$want" ]; then
    fail "$name: $tool $*: exit $rc, wanted $want"
    sed 's/^/  stdout: /' "$T/$name.out" | head -n 12
    sed 's/^/  stderr: /' "$T/$name.err" | head -n 6
    return
  fi
  if python3 "$T/check.py" "$SCHEMA" "$T/$name.out" "$T/$name.err" "$rc" "$tool" "$mode" >"$T/$name.why" 2>&1; then
    ok "$name: $tool exit $rc, the document valid"
  else
    fail "$name: $tool $*: $(head -n 5 "$T/$name.why")"
    sed 's/^/  stdout: /' "$T/$name.out" | head -n 12
  fi
}
# jq_ NAME 'PYTHON EXPRESSION over d' [WHAT]: the document of NAME satisfies it
jis() {
  if python3 -c 'import json,os,sys; d=json.loads(open(sys.argv[1]).read().splitlines()[-1] if sys.argv[3] == "last" else open(sys.argv[1]).read()); sys.exit(0 if eval(sys.argv[2]) else 1)' \
    "$T/$1.out" "$2" "${3:-doc}"; then
    ok "$1: $2"
  else
    fail "$1: not $2"
    head -c 1500 "$T/$1.out" | sed 's/^/  stdout: /'
  fi
}
# err_is NAME TEXT: stderr of NAME is exactly TEXT
err_is() {
  [ "$(cat "$T/$1.err")" = "$2" ] && ok "$1: stderr as expected" || { fail "$1: stderr '$(cat "$T/$1.err")', wanted '$2'"; }
}
usage_hint() { printf '%s: error: %s\nTry '"'"'%s --help'"'"' for more information.' "$1" "$2" "$1"; }

# ---- every tool: a bad flag, --version, and the envelope's common keys ------------------------
version=$("$DM_BIN/dm-seed" --version | cut -d' ' -f2-)
for tool in dm-seed dm-secrets dm-helm dm-cluster dm-gpu; do
  jrun "$tool-badflag" 2 "$tool" -- --json --no-such-flag
  jis "$tool-badflag" 'd["error"] == {"message": "unknown option '"'"'--no-such-flag'"'"'", "kind": "usage", "code": "usage"} and d["command"] is None and d["ok"] is False'
  jis "$tool-badflag" 'd["version"] == "'"$version"'"'
  err_is "$tool-badflag" "$(usage_hint "$tool" "unknown option '--no-such-flag'")"
  # --version and -V: the same line, text also with --json
  [ "$("$DM_BIN/$tool" --version --json)" = "$tool $version" ] && [ "$("$DM_BIN/$tool" -V)" = "$tool $version" ] &&
    ok "$tool: --version and -V print '$tool $version'" || fail "$tool: --version/-V differ from '$tool $version'"
done

# ---- dm-helm -------------------------------------------------------------------------------------
jrun helm-plan 0 dm-helm -- plan --json -f "$FLAVOUR" --root "$ROOT"
jis helm-plan 'd["command"] == "plan" and d["action"] == "plan" and len(d["components"]) > 3'
# in dependency order: each component after the ones it needs
jis helm-plan 'all(n in [x["component"] for x in d["components"][:i]] for i, c in enumerate(d["components"]) for n in c["needs"])'
jis helm-plan 'all(c["namespace"] and c["commands"] and (c["version"] or c["chart"]["path"]) for c in d["components"] if c["kind"] == "helm")'
jis helm-plan 'not any("<secret>" != s["value"] for c in d["components"] for s in c["set"] if s["secret"])'
"$DM_BIN/dm-helm" plan -f "$FLAVOUR" --root "$ROOT" >"$T/plan.txt"
python3 - "$T/helm-plan.out" "$T/plan.txt" <<'PY' && ok "plan --json: the components and order of the text plan" || fail "plan --json and the text plan differ"
import json, re, sys
d = json.load(open(sys.argv[1]))
text = [m.group(1) for m in re.finditer(r"^\d+\. (\S+) \(", open(sys.argv[2]).read(), re.M)]
assert [c["component"] for c in d["components"]] == text, (text, d["components"])
PY
jrun helm-plan-noflavour 3 dm-helm -- plan --json -f "$T/no-such.yaml" --root "$ROOT"
jis helm-plan-noflavour 'd["error"]["kind"] == "config" and d["command"] == "plan" and "components" not in d'
jrun helm-nocommand 2 dm-helm -- --json -f "$FLAVOUR"
jrun helm-dry 0 dm-helm -- install --dry-run --json --component minio -f "$FLAVOUR" --root "$ROOT" --helm "$DM_TEST_HELM"
jis helm-dry 'd["command"] == "install" and d["dry_run"] and d["components"][0]["commands"][-1][0] == "'"$DM_TEST_HELM"'"'
# an install against an API server that is not there (a kubeconfig to port 9): nothing reaches
# the test bed (an install there would create the namespace other tests expect absent)
sed 's#server: .*#server: https://127.0.0.1:9#' "$KUBECONFIG" >"$T/dead-kubeconfig"
jrun helm-deadapi 4 dm-helm KUBECONFIG="$T/dead-kubeconfig" -- install --json --component minio -f "$FLAVOUR" --root "$ROOT" --helm "$DM_TEST_HELM"
jis helm-deadapi 'd["error"]["message"].startswith("minio: failed after ") and "cannot connect to https://127.0.0.1:9: " in d["error"]["message"] and d["components"][0]["outcome"] == "failed"'
jrun helm-deadapi-nd 4 dm-helm ndjson KUBECONFIG="$T/dead-kubeconfig" -- install --ndjson --component minio -f "$FLAVOUR" --root "$ROOT" --helm "$DM_TEST_HELM"
jis helm-deadapi-nd 'd["command"] == "install" and d["components"][0]["outcome"] == "failed"' last
jrun helm-nokubeconfig 3 dm-helm KUBECONFIG= -- install --json --component minio -f "$FLAVOUR" --root "$ROOT" --helm "$DM_TEST_HELM"
jis helm-nokubeconfig 'd["error"]["kind"] == "config" and d["components"][0]["outcome"] == "not started"'
# status on the test bed's API: nothing is installed, exit 4
jrun helm-status 4 dm-helm -- status --json --component minio -f "$FLAVOUR" --root "$ROOT" --helm "$DM_TEST_HELM" --kubectl "$DM_TEST_KUBECTL"
jis helm-status 'd["error"]["kind"] == "partial" and d["components"][0]["outcome"] != "ok"'
FX=$DM_SOURCE_DIR/tests/fixtures/platform-gpu/flavours
jrun helm-images 0 dm-helm KUBECONFIG="$T/none" -- images --json -f "$FX/images.yaml" --helm "$DM_TEST_HELM"
jis helm-images 'd["command"] == "images" and "docker.io/library/busybox:1.36" in d["images"]'
jrun helm-images-dry 2 dm-helm -- images --json --dry-run -f "$FX/images.yaml"
jis helm-images-dry 'd["error"]["message"] == "images runs nothing on the cluster; it takes no --dry-run"'

# ---- dm-cluster ----------------------------------------------------------------------------------
mk=(DM_MINIKUBE="$T/no-minikube")
printf 'provider: minikube\nprofile: dmjson\ndriver: docker\ncpus: 1\nmemory: 512m\n' >"$T/mk.yaml"
jrun cluster-start-dry 0 dm-cluster "${mk[@]}" -- start --dry-run --json -f "$FLAVOUR" --root "$ROOT" --target "$T/mk.yaml"
jis cluster-start-dry 'd["command"] == "start" and d["provider"] == "minikube" and d["commands"][0] == ["minikube", "status", "-p", "dmjson", "-o", "json"]'
jrun cluster-stop-dry 0 dm-cluster "${mk[@]}" -- stop --dry-run --json -f "$FLAVOUR" --root "$ROOT" --target "$T/mk.yaml"
jrun cluster-delete-dry 0 dm-cluster "${mk[@]}" -- delete --dry-run --yes --json -f "$FLAVOUR" --root "$ROOT" --target "$T/mk.yaml"
jis cluster-delete-dry 'd["commands"] == [["minikube", "delete", "-p", "dmjson"]]'
jrun cluster-status-nothing 1 dm-cluster "${mk[@]}" -- status --json -f "$FLAVOUR" --root "$ROOT"
jis cluster-status-nothing 'd["command"] == "status" and d["error"]["code"] == "notfound"'
jrun cluster-delete-noyes 2 dm-cluster -- delete --json -f "$FLAVOUR" --root "$ROOT"
jrun cluster-proxy 2 dm-cluster -- proxy --json -f "$FLAVOUR" --root "$ROOT"
jrun cluster-noflavour 3 dm-cluster -- status --json -f "$T/no-such.yaml"

# ---- dm-gpu (the fake driver of the gpu tests) ---------------------------------------------------
FAKES=$DM_BUILD_DIR/fakes/nvidia/current
[ -e "$FAKES/libnvidia-ml.so.1" ] || fail "no fake NVIDIA libraries in $FAKES (build the gpu tests)"
R=$T/gpu-root
mkdir -p "$R/dev" "$R/proc/driver/nvidia"
echo 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024' >"$R/proc/driver/nvidia/version"
for n in nvidiactl nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7; do : >"$R/dev/$n"; done
gpu=(DM_NVML_LIBRARY="$FAKES/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$FAKES/libcuda.so.1" DM_FAKE_NVIDIA_SCENARIO=h100x8)
jrun gpu-list 0 dm-gpu "${gpu[@]}" -- list --json --root "$R"
jis gpu-list 'd["command"] == "list" and d["device_count"] == 8 and d["ready"]'
jrun gpu-check 1 dm-gpu "${gpu[@]}" -- check --json --cuda 12.0 --min-memory 8GiB --root "$R"
jis gpu-check 'd["command"] == "check" and d["error"]["code"] == "low-memory" and d["reasons"][0]["code"] == "low-memory"'
low='dm-gpu: error: [low-memory] GPU 3 (NVIDIA H100 80GB HBM3) has 2.0 GiB free, below --min-memory 8.0 GiB: '
grep -q '^dm-gpu: warning: \[no-container-runtime\] ' "$T/gpu-check.err" && [ "$(grep -c . "$T/gpu-check.err")" = 2 ] &&
  [ "$(grep -F -- "$low" "$T/gpu-check.err" | cut -c1-${#low})" = "$low" ] &&
  ok "dm-gpu: the reason on stderr with the prefix" || fail "dm-gpu: reason line: $(cat "$T/gpu-check.err")"
jrun gpu-nodriver 1 dm-gpu DM_NVML_LIBRARY="$T/none.so" DM_CUDA_LIBRARY="$T/none.so" -- check --json --root "$R"
jis gpu-nodriver 'd["error"]["code"] == "no-library"'
jrun gpu-badcuda 2 dm-gpu "${gpu[@]}" -- check --json --cuda x --root "$R"
jis gpu-badcuda 'd["command"] == "check" and d["error"]["message"].startswith("--cuda: ")'
# -q: the warnings go, the errors stay, the report (stdout) is the same
cases=$((cases + 1))
env "${gpu[@]}" "$DM_BIN/dm-gpu" check --cuda 12.8 --root "$R" >"$T/gq.out" 2>"$T/gq.err"
env "${gpu[@]}" "$DM_BIN/dm-gpu" -q check --cuda 12.8 --root "$R" >"$T/gq2.out" 2>"$T/gq2.err"
grep -q '^dm-gpu: warning: \[minor-version-compat\] ' "$T/gq.err" && [ ! -s "$T/gq2.err" ] && cmp -s "$T/gq.out" "$T/gq2.out" &&
  ok "dm-gpu -q: no warning, the same report" || fail "dm-gpu -q: stderr '$(cat "$T/gq2.err")' (without -q: '$(cat "$T/gq.err")')"
env "${gpu[@]}" "$DM_BIN/dm-gpu" -q check --cuda 12.0 --min-memory 8GiB --root "$R" >/dev/null 2>"$T/gq3.err"
[ "$(grep -c . "$T/gq3.err")" = 1 ] && [ "$(cut -c1-${#low} "$T/gq3.err")" = "$low" ] &&
  ok "dm-gpu -q: the error alone" || fail "dm-gpu -q not ready: '$(cat "$T/gq3.err")'"

# ---- dm-secrets (the test bed's API) -------------------------------------------------------------
kc() { "$DM_TEST_KUBECTL" "$@"; }
kc create namespace "$ns" >/dev/null
SK='s3cr3t-"quoted"-\back'
kc -n "$ns" create secret generic keys --from-literal=accesskey=AKIAJSON01 --from-literal=secretkey="$SK" \
  --from-literal=note=hello >/dev/null
jrun secrets 0 dm-secrets -- --json --secret keys -n "$ns"
jis secrets 'd["secret"] == "keys" and d["namespace"] == "'"$ns"'" and d["keys"] == ["accesskey", "note", "secretkey"] and d["alias"] is None'
export SK
jis secrets 'd["data"] == {"accesskey": "AKIAJSON01", "note": "hello", "secretkey": os.environ["SK"]}'
jrun secrets-key 0 dm-secrets -- --json --secret keys -n "$ns" --key note
jis secrets-key 'd["data"] == {"note": "hello"}'
jrun secrets-alias 0 dm-secrets -- --json --secret keys -n "$ns" --alias lake --endpoint http://127.0.0.1:9000
jis secrets-alias '"data" not in d and d["alias"] == {"name": "lake", "file": "'"$DM_ALIASES"'"}'
grep -qF -- "$SK" "$T/secrets-alias.out" && fail "--json --alias printed the secret key" || ok "--json --alias: no value on stdout"
jrun secrets-nokey 1 dm-secrets -- --json --secret keys -n "$ns" --key nope
jis secrets-nokey 'd["error"]["code"] == "notfound" and "data" not in d'
jrun secrets-missing 1 dm-secrets -- --json --secret no-such -n "$ns"
jrun secrets-format 2 dm-secrets -- --json --format env --secret keys -n "$ns"
jis secrets-format 'd["error"]["message"] == "--json and --format both say what stdout carries: give one"'
jrun secrets-noflavour 3 dm-secrets -- --json minio -f "$T/no-such.yaml"
cat "$T"/secrets*.err | grep -qF -- "$SK" && fail "a secret value on stderr" || ok "dm-secrets: no value on stderr"
"$DM_BIN/dm-secrets" -q --secret keys -n "$ns" --format env >/dev/null 2>"$T/sq.err" && [ ! -s "$T/sq.err" ] &&
  ok "dm-secrets -q: nothing on stderr" || fail "dm-secrets -q: '$(cat "$T/sq.err")'"

# ---- dm-seed (the S3 test server; MC_HOST_dmtest from its env) -----------------------------------
src=$T/src
mkdir -p "$src/d"
printf 'a,b\n1,2\n' >"$src/a.csv"
printf 'x' >"$src/d/x.txt"
bucket=json-$$-$RANDOM
jrun seed 0 dm-seed -- --json "$src" "dmtest/$bucket/p"
jis seed 'd["command"] is None and d["uploaded"] == 2 and d["files"] == 2 and d["failures"] == []'
jrun seed-dry 0 dm-seed -- --dry-run --json "$src" "dmtest/$bucket/p"
jis seed-dry 'd["dry_run"] and d["skipped"] == 2 and d["uploaded"] == 0'
printf 'y' >"$src/d/y.txt"
jrun seed-nd 0 dm-seed ndjson -- --ndjson "$src" "dmtest/$bucket/p"
jis seed-nd 'd["uploaded"] == 1 and d["skipped"] == 2' last
jrun seed-noalias 3 dm-seed -- --json "$src" "nosuch/$bucket"
jis seed-noalias 'd["error"]["kind"] == "config" and "source" not in d'
jrun seed-noalias-nd 3 dm-seed ndjson -- --ndjson "$src" "nosuch/$bucket"
jrun seed-auth 1 dm-seed MC_HOST_bad="http://wrong:wrongwrong@${DM_TEST_S3_ENDPOINT#http://}" -- --json "$src" "bad/$bucket"
jis seed-auth 'd["error"]["code"] == "auth" and d["error"]["message"].startswith("authentication failed")'
# -n is the namespace: "dm-seed -n SRC TARGET", meant as a dry run, uploads nothing
want="-n/--namespace NS is the Jobs' namespace: it goes with --k8s-job N (a dry run is --dry-run)"
jrun seed-n 2 dm-seed -- --json -n "$src" "dmtest/$bucket/n"
jis seed-n 'd["error"]["message"] == "'"$want"'"'
err_is seed-n "$(usage_hint dm-seed "$want")"
cases=$((cases + 1))
"$DM_BIN/dm-seed" -n "$src" "dmtest/$bucket/n" >"$T/n.out" 2>"$T/n.err"
rc=$?
[ "$rc" = 2 ] && [ "$(cat "$T/n.err")" = "$(usage_hint dm-seed "$want")" ] && [ ! -s "$T/n.out" ] &&
  ok "dm-seed -n SOURCE TARGET: exit 2, '$want'" || fail "dm-seed -n SOURCE TARGET: exit $rc, $(cat "$T/n.err")"
# -q: nothing on stderr; and every file is uploaded now, so the -n runs above uploaded none
jrun seed-q 0 dm-seed -- -q --json "$src" "dmtest/$bucket/n"
[ ! -s "$T/seed-q.err" ] && ok "dm-seed -q: nothing on stderr" || fail "dm-seed -q: '$(cat "$T/seed-q.err")'"
jis seed-q 'd["uploaded"] == 3 and d["skipped"] == 0'
# -n with --k8s-job is the Jobs' namespace
cases=$((cases + 1))
"$DM_BIN/dm-seed" --k8s-job 2 --pvc p --endpoint http://minio:9000 --secret s --access-key-field a \
  --secret-key-field b -n team-a data "x/$bucket" >"$T/job.yaml" 2>"$T/job.err" &&
  grep -qx '  namespace: "team-a"' "$T/job.yaml" && ok "dm-seed --k8s-job -n NS: the Jobs in NS" ||
  fail "dm-seed --k8s-job -n: $(cat "$T/job.err")"

echo "json envelope: $cases cases, $fails failure(s)"
[ "$fails" = 0 ]

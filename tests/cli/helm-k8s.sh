#!/usr/bin/env bash
# dm-helm against the test bed's real API server with real helm and kubectl and the fixture
# charts (Secrets and ConfigMaps only, plus fx-deploy's never-ready Deployment):
# install, re-install (generated keys unchanged), status, uninstall in reverse order; a
# failing component skips its dependents (exit 4); --jobs 4 ends in the same state as --jobs 1.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"

FX=$DM_SOURCE_DIR/tests/fixtures/platform/flavours
work=$(mktemp -d "$DM_TEST_WORK/helm-k8s.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
K=$DM_TEST_KUBECTL
H=$DM_TEST_HELM
# shellcheck source=helm-lib.sh
. "$DM_SOURCE_DIR/tests/cli/helm-lib.sh"

# the order of "NAME: VERB ..." lines in $work/err
order_of() { sed -n "s/^dm-helm: \([a-z0-9-]*\): $1 \.\.\.$/\1/p" "$work/err" | tr '\n' ' ' | sed 's/ $//'; }
secret_field() { $K get secret "$2" -n "$1" -o "jsonpath={.data.$3}" | base64 -d; }
# the cluster state of a namespace: every ConfigMap's data and every release's status
state_of() {
  $K get configmaps -n "$1" -o json | python3 -c '
import json, sys
for cm in sorted(json.load(sys.stdin)["items"], key=lambda c: c["metadata"]["name"]):
    print(cm["metadata"]["name"], json.dumps(cm.get("data", {}), sort_keys=True))'
  "$H" list -n "$1" -o json | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin), key=lambda r: r["name"]):
    print("release", r["name"], r["status"], r["chart"])'
}

# A clean start, also on a test bed that an earlier run used: the fixtures' namespaces emptied
# and removed.  The test bed runs no namespace controller, so a deleted namespace stays
# Terminating until its finalizer is cleared by hand (after its objects are deleted).
for ns in dm-fx-basic dm-fx-timeout dm-fx-parallel; do
  $K get namespace "$ns" >/dev/null 2>&1 || continue
  $K delete configmaps,secrets,deployments --all -n "$ns" --wait=false >/dev/null 2>&1
  $K delete namespace "$ns" --wait=false >/dev/null 2>&1
  $K get namespace "$ns" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin); d["spec"]["finalizers"] = []; print(json.dumps(d))' |
    $K replace --raw "/api/v1/namespaces/$ns/finalize" -f - >/dev/null 2>&1
  for _ in $(seq 1 50); do $K get namespace "$ns" >/dev/null 2>&1 || break; sleep 0.1; done
  $K get namespace "$ns" >/dev/null 2>&1 && { echo "FAIL: cannot remove namespace $ns left by an earlier run"; exit 1; }
done

# --- install --------------------------------------------------------------------------------
run -f "$FX/basic.yaml" install -v
expect_rc 0 "install basic.yaml"
got=$(order_of installing)
[ "$got" = "fx-base fx-other fx-store fx-app" ] && ok "install order: $got" || fail "install order: '$got'"
grep -q "dm-helm: install: 4 installed" "$work/err" && ok "summary line" || fail "no summary line"
for cm in fx-base-config fx-other-config fx-store-config fx-app-config; do
  $K get configmap "$cm" -n dm-fx-basic >/dev/null 2>&1 && ok "configmap $cm exists" || fail "configmap $cm missing"
done
ak=$(secret_field dm-fx-basic fx-store-keys access_key)
sk=$(secret_field dm-fx-basic fx-store-keys secret_key)
[[ "$ak" =~ ^[A-Za-z0-9]{24}$ && "$sk" =~ ^[A-Za-z0-9]{24}$ && "$ak" != "$sk" ]] \
  && ok "generated keys: 24 letters and digits each" || fail "generated keys: '$ak' '$sk'"
[ "$($K get secret fx-store-keys -n dm-fx-basic -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}')" = dm ] \
  && ok "generated Secret labelled managed-by dm" || fail "generated Secret label"
# fx-app got fx-store's keys through the 0600 values file: its chart put them in a Secret
[ "$(secret_field dm-fx-basic fx-app-store accessKey)" = "$ak" ] && [ "$(secret_field dm-fx-basic fx-app-store secretKey)" = "$sk" ] \
  && ok "fx-app received fx-store's keys" || fail "fx-app-store does not hold fx-store's keys"
[ "$($K get configmap fx-app-config -n dm-fx-basic -o 'jsonpath={.data.storeHost}')" = fx-store.dm-fx-basic.svc.cluster.local:9000 ] \
  && ok "fx-app received fx-store's host" || fail "fx-app storeHost"
grep -qF "$ak" "$work/err" "$work/out" && fail "a generated key appeared in dm-helm's output" || ok "no key in the output"
grep -q -- ' -f - ' "$work/err" && ok "secret values passed on helm's stdin (-f -)" || fail "no '-f -' on helm's command line"
[ -z "$(ls -A "$TMPDIR")" ] && ok "secret values file removed" || fail "left in TMPDIR: $(ls -A "$TMPDIR")"

# --- re-install: no change, keys unchanged ---------------------------------------------------
before=$(state_of dm-fx-basic | sed 's/ deployed .*//')
run -f "$FX/basic.yaml" install
expect_rc 0 "re-install basic.yaml"
[ "$(secret_field dm-fx-basic fx-store-keys access_key)" = "$ak" ] && [ "$(secret_field dm-fx-basic fx-store-keys secret_key)" = "$sk" ] \
  && ok "re-install kept the generated keys" || fail "re-install changed the generated keys"
[ "$(state_of dm-fx-basic | sed 's/ deployed .*//')" = "$before" ] && ok "re-install: same ConfigMaps and releases" || fail "re-install changed the state"
[ "$("$H" status fx-app -n dm-fx-basic -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = 2 ] \
  && ok "re-install made revision 2" || fail "revision after re-install"

# --- status ----------------------------------------------------------------------------------
run -f "$FX/basic.yaml" status
expect_rc 0 "status"
[ "$(grep -c ' deployed ' "$work/out")" = 4 ] && ok "status table: 4 deployed" || { fail "status table"; cat "$work/out"; }
run -f "$FX/basic.yaml" status --json
expect_rc 0 "status --json"
python3 - "$work/out" <<'EOF' && ok "status --json: 4 components deployed, revision 2" || fail "status --json"
import json, sys
d = json.load(open(sys.argv[1]))
cs = d["components"]
assert [c["component"] for c in cs] == ["fx-base", "fx-other", "fx-store", "fx-app"], cs
assert all(c["status"] == "deployed" and c["revision"] == 2 for c in cs), cs
assert all("config" not in c["helm"] and "manifest" not in c["helm"] for c in cs)
EOF
run -f "$FX/basic.yaml" status fx-app
expect_rc 0 "status of one component"
[ "$(grep -c ' deployed ' "$work/out")" = 1 ] && ok "status fx-app: one line" || fail "status fx-app"

# --- uninstall: reverse order; the generated Secret stays -----------------------------------
run -f "$FX/basic.yaml" uninstall -v
expect_rc 0 "uninstall basic.yaml"
got=$(order_of uninstalling)
[ "$got" = "fx-app fx-store fx-other fx-base" ] && ok "uninstall order: $got" || fail "uninstall order: '$got'"
[ "$("$H" list -n dm-fx-basic -q | wc -l)" = 0 ] && ok "no release left" || fail "releases left: $("$H" list -n dm-fx-basic -q)"
[ "$(secret_field dm-fx-basic fx-store-keys access_key)" = "$ak" ] && ok "generated Secret kept by uninstall" || fail "generated Secret gone"
run -f "$FX/basic.yaml" status
expect_rc 4 "status after uninstall"
[ "$(grep -c ' not installed ' "$work/out")" = 4 ] && ok "status: 4 not installed" || { fail "status after uninstall"; cat "$work/out"; }
# installing again reuses the kept keys
run -f "$FX/basic.yaml" install
expect_rc 0 "install after uninstall"
[ "$(secret_field dm-fx-basic fx-app-store accessKey)" = "$ak" ] && ok "kept keys reused after uninstall" || fail "keys changed after uninstall"
# a generated Secret that lost a key gets it back; its other keys and its labels stay
$K patch secret fx-store-keys -n dm-fx-basic --type=json \
  -p '[{"op":"remove","path":"/data/secret_key"},{"op":"add","path":"/metadata/labels/kept","value":"yes"}]' >/dev/null
run -f "$FX/basic.yaml" install -v
expect_rc 0 "install with a key gone from the generated Secret"
grep -q "missing keys added to Secret 'fx-store-keys'" "$work/err" && ok "missing key reported as added" || fail "no 'missing keys added' line"
nsk=$(secret_field dm-fx-basic fx-store-keys secret_key)
[ "$(secret_field dm-fx-basic fx-store-keys access_key)" = "$ak" ] && [[ "$nsk" =~ ^[A-Za-z0-9]{24}$ ]] && [ "$nsk" != "$sk" ] \
  && ok "the missing key generated, the other kept" || fail "keys after the missing one was added: '$nsk'"
[ "$($K get secret fx-store-keys -n dm-fx-basic -o 'jsonpath={.metadata.labels.kept}/{.metadata.labels.app\.kubernetes\.io/managed-by}')" = yes/dm ] \
  && ok "the Secret's labels kept" || fail "the Secret's labels changed"
grep -qF "$nsk" "$work/err" "$work/out" && fail "the added key appeared in dm-helm's output" || ok "no added key in the output"
run -f "$FX/basic.yaml" uninstall -q
expect_rc 0 "uninstall -q"

# --- a failing component: dependents skipped, the others go on, exit 4 -----------------------
start=$(date +%s)
run -f "$FX/timeout.yaml" install --timeout 5s
expect_rc 4 "install timeout.yaml --timeout 5s"
took=$(( $(date +%s) - start ))
[ "$took" -lt 60 ] && ok "--timeout 5s honoured (${took}s)" || fail "took ${took}s"
grep -qE "^dm-helm: error: fx-deploy: failed after [0-9]+\.[0-9] s: helm upgrade --install fx-deploy failed" "$work/err" && ok "fx-deploy failed, named" || fail "fx-deploy failure not reported"
grep -q "warning: fx-after-deploy: skipped: needs 'fx-deploy', which failed" "$work/err" && ok "fx-after-deploy skipped" || fail "skip not reported"
grep -q "install: 1 installed, 1 failed, 1 skipped: fx-deploy (failed), fx-after-deploy (skipped)" "$work/err" \
  && ok "summary lists the failures" || fail "summary"
$K get configmap fx-other-config -n dm-fx-timeout >/dev/null 2>&1 && ok "fx-other installed" || fail "fx-other missing"
"$H" status fx-after-deploy -n dm-fx-timeout >/dev/null 2>&1 && fail "fx-after-deploy was installed" || ok "fx-after-deploy not installed"
run -f "$FX/timeout.yaml" install --timeout 5s --json
expect_rc 4 "install --json with a failure"
python3 - "$work/out" <<'EOF' && ok "--json outcomes" || fail "--json outcomes"
import json, sys
d = json.load(open(sys.argv[1]))
o = {c["component"]: c["outcome"] for c in d["components"]}
assert o == {"fx-deploy": "failed", "fx-after-deploy": "skipped", "fx-other": "installed"}, o
assert d["ok"] is False
EOF
run -f "$FX/timeout.yaml" uninstall
expect_rc 0 "uninstall timeout.yaml (not installed ones are fine)"

# --- --jobs 4 equals --jobs 1 ----------------------------------------------------------------
run -f "$FX/parallel.yaml" install --jobs 1
expect_rc 0 "install parallel.yaml --jobs 1"
seq_state=$(state_of dm-fx-parallel)
run -f "$FX/parallel.yaml" uninstall --jobs 4
expect_rc 0 "uninstall parallel.yaml --jobs 4"
[ "$($K get configmaps -n dm-fx-parallel -o name | wc -l)" = 0 ] && ok "all ConfigMaps gone (manifest deleted too)" || fail "ConfigMaps left"
run -f "$FX/parallel.yaml" install --jobs 4 -v
expect_rc 0 "install parallel.yaml --jobs 4"
par_state=$(state_of dm-fx-parallel)
if [ "$seq_state" = "$par_state" ] && [ "$(echo "$par_state" | grep -c '^release .* deployed')" = 4 ]; then
  ok "--jobs 4 state equals --jobs 1 state"
else
  fail "states differ"; diff <(echo "$seq_state") <(echo "$par_state")
fi
# concurrency: before the first component finished, more than one had started
started=$(sed -n '1,/: installed in /p' "$work/err" | grep -c ': installing \.\.\.$')
[ "$started" -ge 2 ] && ok "$started components started before the first finished" || fail "no concurrency ($started)"
# fx-app waited for both of its needs
app=$(grep -n 'fx-app: installing' "$work/err" | cut -d: -f1)
for n in fx-base fx-store; do
  done_at=$(grep -n "$n: installed" "$work/err" | cut -d: -f1)
  [ -n "$app" ] && [ -n "$done_at" ] && [ "$done_at" -lt "$app" ] && ok "fx-app started after $n finished" || fail "fx-app before $n"
done

# --- --delete-namespace ----------------------------------------------------------------------
run -f "$FX/parallel.yaml" uninstall --delete-namespace
expect_rc 0 "uninstall --delete-namespace"
phase=$($K get namespace dm-fx-parallel -o 'jsonpath={.status.phase}' 2>/dev/null || echo gone)
# the test bed has no namespace controller: a deleted namespace stays Terminating
case "$phase" in Terminating|gone) ok "namespace deleted ($phase)";; *) fail "namespace phase '$phase'";; esac
[ "$($K get namespace dm-fx-basic -o 'jsonpath={.status.phase}')" = Active ] && ok "plain uninstall kept its namespace" || fail "dm-fx-basic namespace"

# --- kubeconfig and context flags reach helm and the API ------------------------------------
# KUBECONFIG names the same context on a closed port: only --kubeconfig reaches the test bed
sed "s|server: .*|server: https://127.0.0.1:9|" "$KUBECONFIG" >"$work/kc-closed"
KUBECONFIG=$work/kc-closed run -f "$FX/basic.yaml" status --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --context dm-test fx-base
expect_rc 4 "status with --kubeconfig/--context (released, so not installed)"
# the row says it is not installed; stderr does not say it again
grep -qxE 'fx-base +helm +dm-fx-basic +not installed +- +-' "$work/out" && [ ! -s "$work/err" ] &&
  ok "--kubeconfig used" ||
  { fail "--kubeconfig"; sed 's/^/  stdout: /' "$work/out"; sed 's/^/  stderr: /' "$work/err"; }
run -f "$FX/basic.yaml" install --context no-such-context fx-store
[ "$rc" -ne 0 ] && grep -q "no-such-context" "$work/err" && ok "unknown context named (exit $rc)" || fail "unknown context: exit $rc"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all dm-helm cluster checks passed"

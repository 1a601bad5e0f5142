#!/usr/bin/env bash
# dm-cluster start/status/stop/delete with the minikube and microk8s fakes, whose clusters are
# the test bed's real API server (fixture "k8s"): start is idempotent (the second start issues no
# start or enable command), the namespace is created through the API, status needs a Ready node,
# microk8s addon names are mapped by release, and its kubeconfig lands in a 0600 file whose path
# is printed while no credential from it ever reaches stdout or stderr.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"
fake_minikube_on_bed
ns=dmc-$id
node=dmc-node-$id
trap 'kc delete node "$node" --ignore-not-found >/dev/null 2>&1; kc delete ns "$ns" "$ns-uk" --ignore-not-found --wait=false >/dev/null 2>&1' EXIT

flavour "$ns" "local:
  provider: microk8s
  cpus: 1
  memory: 256m
  gpu: true
  addons: [dns, storage, rbac]
  kubeconfig: uk/microk8s.kubeconfig"
cat >"$P/k8s/configs/mk.yaml" <<'EOT'
provider: minikube
profile: dmfake
cpus: 1
memory: 1g
addons: [dashboard, metrics-server, storage-provisioner]
EOT

# --- minikube ------------------------------------------------------------------------------------
run 1 -f "$F" status
grep -q "not found" "$T/out" || fail "status before start: state"
grep -qF "not ready: the cluster is not running (not found)" "$T/err" || fail "status before start: reason"
kc get ns "$ns" >/dev/null 2>&1 && fail "namespace exists before start"

log_reset
run 0 -f "$F" start
log_has "minikube status -p dmfake -o json"
log_has "minikube start -p dmfake --cpus 1 --memory 1024mb"
log_has "minikube addons enable dashboard -p dmfake"
log_has "minikube addons enable metrics-server -p dmfake"
log_lacks "minikube addons enable storage-provisioner .*"   # minikube enables it by default
grep -qF "namespace '$ns' created" "$T/err" || fail "start: no 'namespace created' message"
kc get ns "$ns" >/dev/null || fail "start did not create namespace $ns"
pass "minikube: start issues start and the missing addons, creates the namespace"

log_reset
run 0 -f "$F" start
log_has "minikube status -p dmfake -o json"
log_lacks "minikube start.*"
log_lacks "minikube addons enable.*"
grep -qF "already running: not starting it" "$T/err" || fail "second start: no 'already running'"
pass "minikube: a second start issues no start and no enable"

# status: ready needs a Ready node; the test bed has no kubelet, so one is registered by hand
ready_nodes=$(kc get nodes -o jsonpath='{range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.status}{"\n"}{end}{end}' | grep -c '^True$' || true)
rc=0; "$DMC" -f "$F" status --json >"$T/out" 2>"$T/err" || rc=$?
python3 - "$T/out" "$ready_nodes" "$ns" "$rc" <<'PY' || fail "status --json before a Ready node"
import json, sys
d = json.load(open(sys.argv[1])); ready = int(sys.argv[2]); rc = int(sys.argv[4])
assert d["provider"] == "minikube" and d["running"] and d["api_ready"], d
assert d["server_version"].startswith("v1."), d
assert d["nodes"]["ready"] == ready, (d["nodes"], ready)
assert d["namespace"] == sys.argv[3] and d["namespace_present"] is True, d
assert "dashboard" in d["addons_enabled"] and "metrics-server" in d["addons_enabled"], d
assert d["ready"] == (ready > 0) and rc == (0 if ready > 0 else 1), (d, rc)
PY
kc create -f - >/dev/null <<EOT || fail "cannot register node $node"
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$node"},"status":{"conditions":[{"type":"Ready","status":"True",
 "reason":"KubeletReady","message":"registered by the test","lastHeartbeatTime":"2024-01-01T00:00:00Z",
 "lastTransitionTime":"2024-01-01T00:00:00Z"}]}}
EOT
run 0 -f "$F" status
grep -qE '^ready +yes$' "$T/out" && grep -qE "^namespace +$ns \(present\)$" "$T/out" && grep -qE '^nodes +[0-9]+/[0-9]+ Ready$' "$T/out" ||
  fail "status table"
pass "minikube: status reads the API (version, nodes, namespace) and exits 0 only when ready"

log_reset
run 0 -f "$F" stop
log_has "minikube stop -p dmfake"
run 1 -f "$F" status
grep -qF "the cluster is not running (host Stopped" "$T/err" || fail "status after stop"
log_reset
run 0 -f "$F" stop
log_lacks "minikube stop.*"
pass "minikube: stop, status of a stopped cluster (exit 1), stop again does nothing"

run 0 -f "$F" --yes delete
log_has "minikube delete -p dmfake"
run 1 -f "$F" status
grep -q "not found" "$T/out" || fail "status after delete"
pass "minikube: delete --yes"

# --- microk8s ------------------------------------------------------------------------------------
flavour "$ns-uk" "local:
  provider: microk8s
  cpus: 1
  memory: 256m
  gpu: true
  addons: [dns, storage, rbac]
  kubeconfig: uk/microk8s.kubeconfig"
secret=$DM_TEST_K8S_ADMIN_TOKEN
no_secret() { # LABEL: the admin token must appear in no output
  if grep -qF -- "$secret" "$T/out" "$T/err"; then fail "$1: the kubeconfig's credential was printed"; fi
}
for rel in 1.23 1.32; do
  rm -rf "$T/state"/* "$P/flavours/uk"
  export DM_FAKE_MICROK8S_RELEASE=$rel
  log_reset
  run 0 -vv -f "$F" --local start
  no_secret "microk8s $rel start"
  kcfile=$P/flavours/uk/microk8s.kubeconfig
  [ "$(cat "$T/out")" = "$kcfile" ] || fail "microk8s $rel: stdout should be the kubeconfig path, is: $(cat "$T/out")"
  [ "$(stat -c %a "$kcfile")" = 600 ] || fail "microk8s $rel: kubeconfig mode $(stat -c %a "$kcfile")"
  grep -qF -- "$secret" "$kcfile" || fail "microk8s $rel: the kubeconfig file lacks the credential"
  log_has "microk8s status --format yaml"
  log_has "microk8s start"
  log_has "microk8s status --wait-ready --timeout 600 --format yaml"
  log_has "microk8s enable dns"
  log_has "microk8s enable rbac"
  log_has "microk8s config"
  if [ "$rel" = 1.23 ]; then
    log_has "microk8s enable storage"; log_has "microk8s enable gpu"
  else
    log_has "microk8s enable hostpath-storage"; log_has "microk8s enable nvidia"
    grep -qF "enabling microk8s addon 'hostpath-storage' (this release's name for 'storage')" "$T/err" ||
      fail "microk8s $rel: mapping not reported"
  fi
  kc get ns "$ns-uk" >/dev/null || fail "microk8s $rel: namespace not created"
  log_reset
  run 0 -f "$F" --local start
  no_secret "microk8s $rel second start"
  log_lacks "microk8s start"
  log_lacks "microk8s enable .*"
  run 0 -f "$F" --local status
  no_secret "microk8s $rel status"
  grep -qE "^kubeconfig +$kcfile$" "$T/out" || fail "microk8s $rel: status names the kubeconfig"
  pass "microk8s $rel: start maps addon names, writes a 0600 kubeconfig, prints only its path; idempotent"
done

run 0 -f "$F" --local --json --kubeconfig-out "$T/out.kubeconfig" start
no_secret "--kubeconfig-out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["kubeconfig"]==sys.argv[2] and d["provider"]=="microk8s", d' \
  "$T/out" "$T/out.kubeconfig" || fail "start --json"
[ "$(stat -c %a "$T/out.kubeconfig")" = 600 ] || fail "--kubeconfig-out mode"
pass "microk8s: --kubeconfig-out, start --json"

flavour "$ns-uk" "local:
  provider: microk8s
  addons: [istio]
  kubeconfig: uk/microk8s.kubeconfig"
expect_err 3 "this microk8s release has no addon 'istio' (it has: " -f "$F" --local start
pass "microk8s: an addon the release lacks is a configuration error naming the ones it has"

log_reset
run 0 -f "$F" --local stop
log_has "microk8s stop"
run 1 -f "$F" --local status
grep -qF "not ready: the cluster is not running (not running)" "$T/err" || fail "microk8s status after stop"
log_reset
run 0 -f "$F" --local stop
log_lacks "microk8s stop"
run 0 -f "$F" --local --yes delete
log_has "microk8s reset"
pass "microk8s: stop (exit-0 'not running' read as stopped), stop again does nothing, delete resets"

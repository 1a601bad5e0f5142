#!/usr/bin/env bash
# dm-cluster with a remote target: the test bed's real API server (fixture "k8s").  start checks
# /readyz and /version and creates the namespace through the API; status; a wrong CA, a port
# nobody listens on and a user not allowed to create namespaces fail clearly; kubeconfig paths
# relative to the target file; kubectl proxy on the flavour's port, dashboard URL first.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"
bed_env "$DM_TEST_WORK/k8s/env"
unset KUBECONFIG
ns=dmr-$id
node=dmr-node-$id
proxy_pid=
trap '[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null; kc delete node "$node" --ignore-not-found >/dev/null 2>&1; kc delete ns "$ns" --ignore-not-found --wait=false >/dev/null 2>&1' EXIT
remote_flavour "$ns"

run 1 -f "$F" --remote status
grep -qF "namespace '$ns' does not exist (dm-cluster start creates it)" "$T/err" || fail "status before start"
run 0 -f "$F" --remote start
[ ! -s "$T/out" ] || fail "remote start wrote to stdout: $(cat "$T/out")"
grep -qF "namespace '$ns' created" "$T/err" && grep -qF "is ready (Kubernetes v1." "$T/err" || fail "remote start messages"
kc get ns "$ns" -o name | grep -qx "namespace/$ns" || fail "remote start did not create $ns"
run 0 -f "$F" --remote start
grep -qF "namespace '$ns' created" "$T/err" && fail "second start created the namespace again"
pass "remote: start checks the API and creates the namespace (once)"

kc create -f - >/dev/null <<EOT || fail "cannot register node $node"
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$node"},"status":{"conditions":[{"type":"Ready","status":"True",
 "reason":"KubeletReady","message":"registered by the test","lastHeartbeatTime":"2024-01-01T00:00:00Z",
 "lastTransitionTime":"2024-01-01T00:00:00Z"}]}}
EOT
run 0 -f "$F" --remote status
grep -qE "^api +$DM_TEST_K8S_SERVER \(ready\)$" "$T/out" && grep -qE '^version +v1\.[0-9]+' "$T/out" &&
  grep -qE '^ready +yes$' "$T/out" && grep -qE "^kubeconfig +$P/kube/remote.kubeconfig \(context dm-test\)$" "$T/out" ||
  fail "remote status table"
run 0 -f "$F" --remote status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ready"] and d["running"] and d["state"]=="reachable" and d["addons_enabled"] is None, d' "$T/out" ||
  fail "remote status --json"
pass "remote: status (table and --json) exit 0 when ready"

# --- failures ------------------------------------------------------------------------------------
wrong_ca=$(base64 -w0 <"$DM_TEST_K8S_WRONG_CA")
sed "s|certificate-authority-data: .*|certificate-authority-data: $wrong_ca|" "$DM_TEST_KUBECONFIG_TOKEN" >"$P/kube/wrong-ca.kubeconfig"
printf 'provider: remote\nkubeconfig: ../../kube/wrong-ca.kubeconfig\n' >"$P/k8s/configs/wrong-ca.yaml"
run 1 -f "$F" --target "$P/k8s/configs/wrong-ca.yaml" start
err_is "dm-cluster: error: the certificate of the API server $DM_TEST_K8S_SERVER did not match the CA certificate-authority-data of cluster 'dm-test' in '$P/kube/wrong-ca.kubeconfig': SSL certificate problem: unable to get local issuer certificate"
run 1 -f "$F" --target "$P/k8s/configs/wrong-ca.yaml" status
grep -qE '^api .*\(not ready\)$' "$T/out" && grep -qiE "not ready: .*(certificate|TLS)" "$T/err" || fail "wrong CA: status"
pass "remote: a wrong CA fails start and status with a TLS message"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
sed "s|server: .*|server: https://127.0.0.1:$port|" "$DM_TEST_KUBECONFIG_TOKEN" >"$P/kube/closed.kubeconfig"
printf 'provider: remote\nkubeconfig: %s\n' "$P/kube/closed.kubeconfig" >"$P/k8s/configs/closed.yaml"
start_s=$(date +%s)
run 1 -f "$F" --target "$P/k8s/configs/closed.yaml" --timeout 20s start
grep -qF "127.0.0.1:$port" "$T/err" || fail "unreachable port: message does not name the server"
[ $(( $(date +%s) - start_s )) -lt 60 ] || fail "unreachable port took $(( $(date +%s) - start_s ))s"
run 1 -f "$F" --target "$P/k8s/configs/closed.yaml" status
grep -qE '^state +unreachable$' "$T/out" || fail "unreachable port: status state"
pass "remote: an unreachable port fails start and status, naming the server"

printf 'provider: remote\nkubeconfig: %s\n' "$DM_TEST_KUBECONFIG_USER" >"$P/k8s/configs/user.yaml"
flavour "$ns-denied" "remote:
  provider: remote"
run 1 -f "$F" --target "$P/k8s/configs/user.yaml" start
err_is "dm-cluster: error: User \"dm-user\" cannot create namespaces"
pass "remote: a user who may not create namespaces gets the API's refusal"

expect_err 1 "is a remote cluster: dm-cluster never deletes it" -f "$F" --remote --yes delete
expect_err 1 "is a remote cluster: dm-cluster does not stop it" -f "$F" --remote stop
pass "remote: stop and delete refuse"

# --- proxy through the real kubectl --------------------------------------------------------------
flavour "$ns" "remote:
  provider: remote
  kubeconfig: ../kube/remote.kubeconfig"
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DM_KUBECTL=$DM_TEST_KUBECTL "$DMC" -f "$F" --remote --port "$pport" proxy >"$T/proxy.out" 2>"$T/proxy.err" &
proxy_pid=$!
for _ in $(seq 1 100); do
  curl -fsS --max-time 2 "http://127.0.0.1:$pport/version" >"$T/version.json" 2>/dev/null && break
  sleep 0.2
done
grep -q '"gitVersion"' "$T/version.json" || fail "proxy: /version through kubectl proxy on $pport"
head -n 1 "$T/proxy.out" | grep -qxF "dashboard: http://127.0.0.1:$pport/api/v1/namespaces/kubernetes-dashboard/services/https:kubernetes-dashboard:/proxy/" ||
  fail "proxy: first line should be the dashboard URL: $(head -n 1 "$T/proxy.out")"
kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=
pass "proxy: kubectl proxy on the chosen port, dashboard URL printed first"

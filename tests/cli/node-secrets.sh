#!/usr/bin/env bash
# dm-secrets inside a pod of the node (fixture "node"), with the service account the kubelet mounts:
# a ServiceAccount bound to a Role that may get ONE Secret (resourceNames).  The first pod runs
# `dm-secrets --secret ok --format env` with neither --in-cluster nor -n: there is no kubeconfig in
# the pod, so the service account is used (as kubectl does), and the namespace is the account's.
# Its log is exactly the two export lines.  The second pod asks, with --in-cluster, for another
# Secret of the same namespace: its log is the one documented 403 line and it exits 1.
# The CA the pod trusts is the ca.crt of the account's token Secret, which the controller-manager
# fills from --root-ca-file: checked to be the test bed's CA.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
: "${DM_TEST_NODE_IMAGE:?}"
id=$(basename "$T" | tr 'A-Z.' 'a-z-' | tr -cd 'a-z0-9-')
ns=dms-$id
trap 'kc delete ns "$ns" --timeout=90s >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
port=${DM_TEST_K8S_SERVER##*:}

kc create ns "$ns" >/dev/null
# the values: a quote, a dollar and a space, which the env format must single-quote
kc -n "$ns" create secret generic ok --from-literal=accesskey=AK-node-1 \
  --from-literal=secretkey="s3cr'et \$HOME x" >/dev/null
kc -n "$ns" create secret generic other --from-literal=accesskey=AK-other --from-literal=secretkey=SK-other >/dev/null
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: $ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-ok, namespace: $ns}
rules:
  - {apiGroups: [""], resources: [secrets], resourceNames: [ok], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-read-ok, namespace: $ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-ok}
subjects:
  - {kind: ServiceAccount, name: reader, namespace: $ns}
YAML

# the token controller adds the account's token Secret; a pod naming the account before that is
# refused by the ServiceAccount admission plugin
deadline=$(( $(date +%s) + 30 ))
until tok=$(kc -n "$ns" get sa reader -o jsonpath='{.secrets[0].name}') && [ -n "$tok" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "service account $ns/reader got no token Secret in 30s"
  sleep 0.5
done
kc -n "$ns" get secret "$tok" -o jsonpath='{.data.ca\.crt}' | base64 -d >"$T/sa-ca.crt"
cmp -s "$T/sa-ca.crt" "$DM_TEST_K8S_CA" || fail "the service account's ca.crt is not the test bed's CA ($DM_TEST_K8S_CA)"
pass "service account $ns/reader: token Secret $tok, ca.crt is the test bed's CA"

# pod NAME ARGS...: a hostNetwork pod of dm's image running dm-secrets ARGS as the account
pod() {
  local name=$1 args='' a
  shift
  for a in "$@"; do args="$args, \"$a\""; done
  kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $ns}
spec:
  hostNetwork: true
  restartPolicy: Never
  serviceAccountName: reader
  containers:
    - name: dm
      image: $DM_TEST_NODE_IMAGE
      imagePullPolicy: Never
      command: [dm-secrets$args]
      # There is no kube-proxy on the test bed, so the injected ClusterIP of the kubernetes Service
      # leads nowhere; the API server listens on 127.0.0.1 of the node (hostNetwork), and explicit
      # container env wins over the variables the kubelet injects.
      env:
        - {name: KUBERNETES_SERVICE_HOST, value: "127.0.0.1"}
        - {name: KUBERNETES_SERVICE_PORT, value: "$port"}
YAML
}
exit_code() { kc -n "$ns" get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}'; }
# run_pod NAME PHASE ARGS...: the pod until PHASE, its log in $T/log
run_pod() {
  local name=$1 phase=$2
  shift 2
  pod "$name" "$@"
  wait_pod "$ns" "$name" "$phase" 60
  kc -n "$ns" logs "$name" >"$T/log" 2>&1 || true
}

# --- the Secret the Role allows ---------------------------------------------------------------------
run_pod allowed Succeeded --secret ok --format env
printf '%s\n' "export AWS_ACCESS_KEY_ID='AK-node-1'" "export AWS_SECRET_ACCESS_KEY='s3cr'\\''et \$HOME x'" >"$T/want"
cmp -s "$T/log" "$T/want" || { diff "$T/want" "$T/log" >&2 || true; fail "pod allowed: log is not the two export lines"; }
[ "$(exit_code allowed)" = 0 ] || fail "pod allowed: exit code $(exit_code allowed), expected 0"
pass "pod allowed: no kubeconfig, so the service account; namespace $ns from its folder; env format exact"

# --- another Secret of the same namespace ---------------------------------------------------------
run_pod denied Failed --in-cluster --secret other
want="dm-secrets: error: User \"system:serviceaccount:$ns:reader\" cannot get secrets in namespace \"$ns\""
got=$(cat "$T/log")
[ "$got" = "$want" ] || fail "pod denied: log '$got', expected '$want'"
[ "$(exit_code denied)" = 1 ] || fail "pod denied: exit code $(exit_code denied), expected 1"
pass "pod denied: --in-cluster, Secret 'other' refused with the 403 line, exit 1"

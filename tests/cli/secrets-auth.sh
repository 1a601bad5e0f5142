#!/usr/bin/env bash
# dm-secrets against the real API server with every way of authenticating: client certificate
# (embedded and files), token, CA file, embedded CA data, an exec plugin, the in-cluster service
# account; and the clear failures: 401, 403, 404 (Secret, namespace), wrong CA, exec plugin failing.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/fixtures/k8s/lib.sh"

ns=$(new_ns auth)
cleanup_ns+=("$ns")
kc -n "$ns" create secret generic target --from-literal=rootUser=auth-ak-0001 \
  --from-literal=rootPassword='auth-sk-$(x)-0002' >/dev/null
kc -n "$ns" create secret generic other --from-literal=k=other-value-0003 >/dev/null

check_value() { # LABEL ARGS...: reads target's rootPassword and compares
  local label=$1
  shift
  run 0 "$T/got" "$@" --secret target -n "$ns" --key rootPassword
  [ "$(cat "$T/got")" = 'auth-sk-$(x)-0002' ] || fail "$label: wrong value"
  pass "$label"
}

# --- the ways in ---------------------------------------------------------------------------------
grep -q 'client-certificate-data:' "$KUBECONFIG" && grep -q 'certificate-authority-data:' "$KUBECONFIG" ||
  fail "test bed: the default kubeconfig should embed the client certificate and CA"
check_value "client certificate + embedded CA data (KUBECONFIG)"
check_value "client certificate + embedded CA data (--kubeconfig)" --kubeconfig "$KUBECONFIG"
grep -q '    token: ' "$DM_TEST_KUBECONFIG_TOKEN" || fail "test bed: token kubeconfig"
check_value "bearer token kubeconfig" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN"
grep -q 'certificate-authority: /' "$DM_TEST_KUBECONFIG_CAFILE" || fail "test bed: CA-file kubeconfig"
check_value "CA file + client certificate files" --kubeconfig "$DM_TEST_KUBECONFIG_CAFILE"

# KUBECONFIG with several files: the first file's current-context wins, and --context picks others
sed -e 's/name: dm-test$/name: tok/' -e 's/cluster: dm-test$/cluster: tok/' -e 's/user: dm-test-user$/user: tok-user/' \
  -e 's/name: dm-test-user$/name: tok-user/' -e 's/current-context: dm-test$/current-context: tok/' \
  "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-tok"
KUBECONFIG="$T/does-not-exist:$T/kc-tok:$KUBECONFIG" run 0 "$T/got" -v --secret target -n "$ns" --key rootUser
grep -q "using context 'tok'" "$T/err" || fail "merged KUBECONFIG: first current-context"
KUBECONFIG="$T/kc-tok:$KUBECONFIG" run 0 "$T/got" -v --context dm-test --secret target -n "$ns" --key rootUser
grep -q "using context 'dm-test'" "$T/err" || fail "merged KUBECONFIG: --context"
[ "$(cat "$T/got")" = auth-ak-0001 ] || fail "merged KUBECONFIG: value"
expect_err 3 "context 'nope' not found in" --context nope --secret target -n "$ns"
pass "KUBECONFIG with several files merged, --context"

# exec credential plugin: a small script returning the admin token as an ExecCredential; it
# also records the core-dump limit of its parent (dm-secrets) to show core dumps are refused
cat >"$T/cred-plugin" <<EOF
#!/bin/sh
grep 'Max core file size' /proc/\$PPID/limits >"$T/parent-core-limit"
[ "\$1" = --cluster ] && [ "\$2" = dm-test ] || { echo "bad args: \$*" >&2; exit 2; }
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "\$PLUGIN_TOKEN"
EOF
chmod 0755 "$T/cred-plugin"
mkexec() { # FILE COMMAND TOKEN
  awk '/^users:/ { exit } { print }' "$DM_TEST_KUBECONFIG_TOKEN" >"$1"
  cat >>"$1" <<EOF
users:
- name: dm-test-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $2
      args: [--cluster, dm-test]
      env:
      - name: PLUGIN_TOKEN
        value: "$3"
      installHint: install the test plugin
EOF
}
mkexec "$T/kc-exec" "$T/cred-plugin" "$DM_TEST_K8S_ADMIN_TOKEN"
(ulimit -c unlimited 2>/dev/null || true; check_value "exec credential plugin" --kubeconfig "$T/kc-exec")
grep -Eq 'Max core file size +0 +0' "$T/parent-core-limit" || fail "dm-secrets does not refuse core dumps"
pass "core dumps refused while holding secrets (RLIMIT_CORE 0)"
# a relative command is taken from the kubeconfig's folder, as kubectl does
mkexec "$T/kc-exec-rel" "./cred-plugin" "$DM_TEST_K8S_ADMIN_TOKEN"
check_value "exec plugin with a relative command" --kubeconfig "$T/kc-exec-rel"
mkexec "$T/kc-exec-bad" "$T/no-such-plugin" x
expect_err 1 "cannot run the exec credential plugin '$T/no-such-plugin' of user 'dm-test-user'" \
  --kubeconfig "$T/kc-exec-bad" --secret target -n "$ns"
printf '#!/bin/sh\necho "error: the token has expired" >&2\nexit 1\n' >"$T/failing-plugin"
chmod 0755 "$T/failing-plugin"
mkexec "$T/kc-exec-fail" "$T/failing-plugin" x
expect_err 1 "failing-plugin' of user 'dm-test-user' exited with status 1: error: the token has expired" \
  --kubeconfig "$T/kc-exec-fail" --secret target -n "$ns"
pass "exec plugin failures name the plugin and its message"

# in-cluster: a real service-account token from the TokenRequest API, bound to a Role
sa=$T/serviceaccount
mkdir -p "$sa"
kc -n "$ns" create serviceaccount reader >/dev/null
kc -n "$ns" create role read-target --verb=get --resource=secrets --resource-name=target >/dev/null
kc -n "$ns" create rolebinding reader-read-target --role=read-target --serviceaccount="$ns:reader" >/dev/null
kc -n "$ns" create token reader --duration=10m >"$sa/token"
cp "$DM_TEST_K8S_CA" "$sa/ca.crt"
printf '%s' "$ns" >"$sa/namespace"
hostport=${DM_TEST_K8S_SERVER#https://}
(
  export KUBERNETES_SERVICE_HOST=${hostport%:*} KUBERNETES_SERVICE_PORT=${hostport##*:}
  export DM_K8S_SERVICEACCOUNT_DIR=$sa KUBECONFIG=$T/does-not-exist
  run 0 "$T/got" --in-cluster --secret target --key rootPassword  # namespace from the pod's folder
  [ "$(cat "$T/got")" = 'auth-sk-$(x)-0002' ] || fail "in-cluster: wrong value"
  expect_err 1 "User \"system:serviceaccount:$ns:reader\" cannot get secrets in namespace \"$ns\"" \
    --in-cluster --secret other
  unset KUBERNETES_SERVICE_HOST
  expect_err 3 "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set" \
    --in-cluster --secret target
)
pass "in-cluster service account (TokenRequest token, pod namespace, RBAC)"
TOKEN_SA=$(cat "$sa/token")

# --- the failures --------------------------------------------------------------------------------
# 401: a token the server does not know
sed "s/    token: .*/    token: not-a-valid-token-0123456789/" "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-badtok"
expect_err 1 "credentials rejected by the API server $DM_TEST_K8S_SERVER (401 Unauthorized): check user 'dm-test-user' of context 'dm-test' in '$T/kc-badtok'" \
  --kubeconfig "$T/kc-badtok" --secret target -n "$ns"
pass "401: credentials rejected"

# 403: dm-user may read only 'other'
kc -n "$ns" create role only-other --verb=get --resource=secrets --resource-name=other >/dev/null
kc -n "$ns" create rolebinding dm-user-only-other --role=only-other --user="$DM_TEST_K8S_USER" >/dev/null
run 0 "$T/got" --kubeconfig "$DM_TEST_KUBECONFIG_USER" --secret other -n "$ns" --key k
[ "$(cat "$T/got")" = other-value-0003 ] || fail "dm-user should read 'other'"
expect_err 1 "User \"dm-user\" cannot get secrets in namespace \"$ns\"" \
  --kubeconfig "$DM_TEST_KUBECONFIG_USER" --secret target -n "$ns"
pass "403: User \"dm-user\" cannot get secrets in namespace \"$ns\""

# 404: a missing Secret, a missing namespace
expect_err 1 "secret \"missing\" not found in namespace \"$ns\"" --secret missing -n "$ns"
expect_err 1 "namespace \"no-such-ns-$$\" not found" --secret target -n "no-such-ns-$$"
pass "404: missing Secret, missing namespace"

# wrong CA: a CA file and embedded CA data that did not sign the server's certificate
sed "s#certificate-authority: .*#certificate-authority: $DM_TEST_K8S_WRONG_CA#" "$DM_TEST_KUBECONFIG_CAFILE" >"$T/kc-wrongca"
expect_err 1 "the certificate of the API server $DM_TEST_K8S_SERVER did not match the CA '$DM_TEST_K8S_WRONG_CA' (certificate-authority of cluster 'dm-test')" \
  --kubeconfig "$T/kc-wrongca" --secret target -n "$ns"
sed "s#certificate-authority-data: .*#certificate-authority-data: $(base64 -w0 <"$DM_TEST_K8S_WRONG_CA")#" \
  "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-wrongdata"
expect_err 1 "did not match the CA certificate-authority-data of cluster 'dm-test' in '$T/kc-wrongdata'" \
  --kubeconfig "$T/kc-wrongdata" --secret target -n "$ns"
# no CA at all: the system store does not know the test CA
grep -v 'certificate-authority' "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-noca"
expect_err 1 "is not trusted by the system CA store and cluster 'dm-test' sets no certificate-authority" \
  --kubeconfig "$T/kc-noca" --secret target -n "$ns"
pass "wrong CA: says the CA did not match and which one"

# unreachable server
sed "s#server: .*#server: https://127.0.0.1:1#" "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-down"
expect_err 1 "cannot connect to https://127.0.0.1:1" --kubeconfig "$T/kc-down" --secret target -n "$ns"
# broken kubeconfig: file:line:col
printf 'apiVersion: v1\nclusters:\n- name: a\n  cluster: [x]\n' >"$T/kc-broken"
expect_err 3 "$T/kc-broken:4:12: 'cluster' of cluster 'a' must be a map" --kubeconfig "$T/kc-broken" --secret t
pass "unreachable server and malformed kubeconfig"

# --- nothing secret on stderr, even at -vv --------------------------------------------------------
run 0 "$T/got" -vv --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --secret target -n "$ns" --format json
run 0 "$T/got" -vv --kubeconfig "$T/kc-exec" --secret target -n "$ns"
no_secret_in_stderr auth-ak-0001 'auth-sk-$(x)-0002' other-value-0003 "$DM_TEST_K8S_ADMIN_TOKEN" \
  "$DM_TEST_K8S_USER_TOKEN" "$TOKEN_SA"
grep -q "GET $DM_TEST_K8S_SERVER/api/v1/namespaces/$ns/secrets/target" "$ERRLOG" || fail "-vv shows no requests"
pass "no secret value or token on any stderr (-vv)"

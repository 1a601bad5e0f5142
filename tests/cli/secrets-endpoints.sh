#!/usr/bin/env bash
# A target's endpoints: a remote target on the test bed declares that the Service minio of a
# namespace is reachable from outside the cluster at the test RGW's URL (as a NodePort or an
# Ingress would be).  After dm-cluster start with it: dm-secrets --alias writes an alias naming
# the Service and its Secret, and dm-seed with that alias lands the bytes in the RGW through the
# declared endpoint, with no port-forward (DM_KUBECTL fails loudly if anything runs it; the test
# bed has no node, so no pod a forward could reach); dm-secrets --format env exports the declared
# endpoint, with no "name inside the cluster" hint; another cluster (KUBECONFIG) gets none of
# it.  A bad endpoints value is refused with exit 3 and FILE:LINE:COL.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/fixtures/k8s/lib.sh"
[ -f "$DM_TEST_WORK/s3/env" ] || fail "no $DM_TEST_WORK/s3/env (fixture s3 not up?)"
. "$DM_TEST_WORK/s3/env"
command -v aws >/dev/null || fail "the AWS CLI (aws) is needed to check what landed"
# shellcheck source=s3-client.sh
. "$DM_SOURCE_DIR/tests/cli/s3-client.sh" # s3cli
ADMIN_KC=$KUBECONFIG
kc() { "$DM_TEST_KUBECTL" --kubeconfig "$ADMIN_KC" "$@"; }
unset KUBECONFIG # the tools use the current target that dm-cluster start records
export MC_CONFIG_DIR=$T/no-mc
SEED=$DM_BIN/dm-seed DMC=$DM_BIN/dm-cluster
# any port-forward would run kubectl: this one says so and fails
cat >"$T/kubectl" <<EOT
#!/bin/sh
echo "kubectl \$*" >>"$T/kubectl.log"
echo "kubectl must not run here: \$*" >&2
exit 97
EOT
chmod +x "$T/kubectl"
export DM_KUBECTL=$T/kubectl

ns=$(new_ns endpoints)
cleanup_ns+=("$ns")
kc -n "$ns" create service clusterip minio --tcp=9000:9000 >/dev/null
kc -n "$ns" create secret generic minio-credentials --from-literal=rootUser="$DM_TEST_S3_ACCESS_KEY" \
  --from-literal=rootPassword="$DM_TEST_S3_SECRET_KEY" >/dev/null

# the platform: a flavour for the namespace, a remote target on the test bed declaring the endpoint
P=$T/plat
mkdir -p "$P/flavours" "$P/k8s/configs" "$P/components" "$P/kube"
cp "$DM_TEST_KUBECONFIG_TOKEN" "$P/kube/remote.kubeconfig"
cat >"$P/flavours/f.yaml" <<EOT
project:
  k8s_namespace: $ns
  proxy_port: 18001
  flavour: all
  k8s_default_config: lab.yaml
EOT
cat >"$P/k8s/configs/lab.yaml" <<EOT
provider: remote
kubeconfig: ../../kube/remote.kubeconfig
context: dm-test
endpoints:                        # the Service minio of $ns, from outside the cluster
  minio.$ns: $DM_TEST_S3_ENDPOINT/
EOT
"$DMC" -f "$P/flavours/f.yaml" --target "$P/k8s/configs/lab.yaml" -v start >"$T/out" 2>"$T/err" ||
  { cat "$T/err" >&2; fail "dm-cluster start"; }
grep -qF "endpoint of Service minio.$ns from outside the cluster: $DM_TEST_S3_ENDPOINT" "$T/err" ||
  { cat "$T/err" >&2; fail "dm-cluster start does not say which endpoint it recorded"; }
pass "dm-cluster start records the target's endpoints with the current target"

src=$T/data
mkdir -p "$src/raw"
printf 'id,value\n1,a\n2,b\n' >"$src/raw/table.csv"
head -c 200000 /dev/urandom >"$src/blob.bin"

# --- dm-secrets --alias, then dm-seed with the alias: the declared endpoint, no forward ---------
run 0 "$T/out" minio --components-dir "$FIX/components" -n "$ns" --alias lake
grep -qxF "dm-secrets: alias 'lake' (http://minio.$ns.svc.cluster.local:9000; keys read from Secret $ns/minio-credentials; reached at $DM_TEST_S3_ENDPOINT, declared by target $P/k8s/configs/lab.yaml) written to '$DM_ALIASES'" "$T/err" ||
  { cat "$T/err" >&2; fail "dm-secrets --alias: the message"; }
grep -qF "url: \"http://minio.$ns.svc.cluster.local:9000\"" "$DM_ALIASES" && grep -qF 'secret: "minio-credentials"' "$DM_ALIASES" &&
  ! grep -qF -- "$DM_TEST_S3_SECRET_KEY" "$DM_ALIASES" || fail "the alias does not name the Service and its Secret: $(cat "$DM_ALIASES")"
b1=endpoints-alias-$$-$RANDOM
"$SEED" --no-progress -v "$src" "lake/$b1" >"$T/seed.out" 2>"$T/seed.err" ||
  { cat "$T/seed.err" >&2; fail "dm-seed with alias 'lake' failed"; }
[ ! -e "$T/kubectl.log" ] || fail "kubectl ran (a port-forward): $(cat "$T/kubectl.log")"
grep -qF "alias 'lake': Service minio.$ns through $DM_TEST_S3_ENDPOINT, declared by target $P/k8s/configs/lab.yaml (endpoints:); no port-forward" "$T/seed.err" ||
  { cat "$T/seed.err" >&2; fail "dm-seed -v does not say which endpoint it used and why"; }
dl=$T/dl1
mkdir -p "$dl"
s3cli s3 cp --recursive --quiet "s3://$b1" "$dl" >/dev/null
diff -r "$src" "$dl" >&2 || fail "objects in $b1 differ from $src"
pass "dm-secrets --alias + dm-seed data/ lake/$b1: the bytes land through the declared endpoint, no port-forward"

# --- dm-secrets --format env: the declared endpoint, usable as it is ----------------------------
run 0 "$T/env" minio --components-dir "$FIX/components" -n "$ns" --format env
grep -qxF "export AWS_ENDPOINT_URL='$DM_TEST_S3_ENDPOINT'" "$T/env" || fail "--format env: $(grep ENDPOINT "$T/env")"
grep -qxF "dm-secrets: exporting AWS_ENDPOINT_URL=$DM_TEST_S3_ENDPOINT (Service minio.$ns, declared by target $P/k8s/configs/lab.yaml)" "$T/err" ||
  { cat "$T/err" >&2; fail "--format env does not say which endpoint it exports"; }
grep -qF "inside the cluster" "$T/err" && fail "--format env: a 'cannot be reached' hint for the declared endpoint"
b2=endpoints-env-$$-$RANDOM
(
  eval "$(cat "$T/env")"
  "$SEED" --no-progress "$src" "minio/$b2" >"$T/seed.out" 2>"$T/seed.err" ||
    { cat "$T/seed.err" >&2; fail "dm-seed with the evaluated env failed"; }
)
[ ! -e "$T/kubectl.log" ] || fail "kubectl ran: $(cat "$T/kubectl.log")"
[ "$(s3cli s3 ls --recursive "s3://$b2" | wc -l)" = 2 ] || fail "the env's endpoint: $b2 does not hold 2 objects"
pass "dm-secrets --format env exports the declared endpoint, and dm-seed uses it as it is"

# --- another cluster than the recorded one: no endpoints --------------------------------------
KUBECONFIG=$ADMIN_KC run 0 "$T/env" minio --components-dir "$FIX/components" -n "$ns" --format env
grep -qxF "export AWS_ENDPOINT_URL='http://minio.$ns.svc.cluster.local:9000'" "$T/env" &&
  grep -qF "is a name inside the cluster" "$T/err" || fail "with KUBECONFIG: $(grep ENDPOINT "$T/env") $(cat "$T/err")"
pass "with KUBECONFIG (not the current target) the in-cluster endpoint and its hint, as before"

# --- a bad endpoints value: exit 3, FILE:LINE:COL -----------------------------------------------
printf 'provider: remote\nkubeconfig: ../../kube/remote.kubeconfig\nendpoints:\n  minio.%s: ftp://127.0.0.1:30900\n' "$ns" \
  >"$P/k8s/configs/bad.yaml"
rc=0
"$DMC" -f "$P/flavours/f.yaml" --target "$P/k8s/configs/bad.yaml" start >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || { cat "$T/err" >&2; fail "a bad endpoint: exit $rc, expected 3"; }
col=$((3 + ${#ns} + 8))
[ "$(cat "$T/err")" = "dm-cluster: error: $P/k8s/configs/bad.yaml:4:$col: endpoints: minio.$ns: url 'ftp://127.0.0.1:30900' must start with http:// or https://" ] ||
  fail "a bad endpoint: $(cat "$T/err")"
printf 'provider: remote\nendpoints:\n  minio: http://127.0.0.1:30900\n' >"$P/k8s/configs/bad.yaml"
rc=0
"$DMC" -f "$P/flavours/f.yaml" --target "$P/k8s/configs/bad.yaml" start >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] && [ "$(cat "$T/err")" = "dm-cluster: error: $P/k8s/configs/bad.yaml:3:3: endpoints: 'minio' is not a Service NAME.NAMESPACE (as in http://NAME.NAMESPACE.svc.cluster.local:PORT)" ] ||
  fail "an endpoint not named NAME.NAMESPACE: exit $rc, $(cat "$T/err")"
pass "a bad endpoints value: exit 3, FILE:LINE:COL"

no_secret_in_stderr "$DM_TEST_S3_SECRET_KEY"
grep -qF -- "$DM_TEST_S3_SECRET_KEY" "$T/seed.err" && fail "dm-seed printed the secret key"
pass "no keys on stderr"

#!/usr/bin/env bash
# The mission's pipeline on the node test bed, as a user types it, from a folder outside the
# repository, with no KUBECONFIG set:
#   dm-cluster start && dm-helm install && eval "$(dm-secrets lake --format env)" && dm-seed data/ s3
#   dm-secrets lake --alias minio && dm-seed data/ minio/datalake
#   dm-seed --component lake            (the project's data_folder, a bucket per folder)
# The platform is tests/fixtures/node-pipeline (named once, by DM_HOME): component `lake` is a real
# S3 server (Ceph's radosgw) in a pod, serving with the keys dm-helm generated into its Secret.
# Its endpoint is the Service's in-cluster name, as the minio component's is, so every dm-seed run
# reaches it through a port-forward of the API server (kubectl port-forward), and the alias that
# dm-secrets writes names the Secret, not the keys.  The target is a remote one on the test bed:
# dm-cluster start records it, and dm-helm, dm-secrets and dm-seed find the cluster through that
# record alone.  What landed is checked with curl's own SigV4 at the pod's host port, with the keys
# read by kubectl; a rerun uploads nothing; no port-forward outlives a run.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
: "${DM_TEST_NODE_IMAGE:?}" "${DM_TEST_HELM:?}" "${DM_TEST_KUBECTL:?}"
export HELM_CACHE_HOME=$T/helm/cache HELM_CONFIG_HOME=$T/helm/config HELM_DATA_HOME=$T/helm/data
unset DM_FLAVOUR MC_HOST_minio MC_HOST_s3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL DM_ALIASES
ns=dm-pipeline
bed_kubeconfig=$KUBECONFIG

# the platform: the fixture with this build's image, a free port, a state folder; the lake's
# endpoint is the Service's in-cluster name; the target is the test bed (remote)
port=$(S3_PROG=node-pipeline; . "$DM_SOURCE_DIR/tests/servers/s3-lib.sh"; s3_free_ports 1)
state=$T/lake-state
P=$T/platform
cp -r "$DM_SOURCE_DIR/tests/fixtures/node-pipeline" "$P"
sed -i -e "s|@DM_TEST_NODE_IMAGE@|$DM_TEST_NODE_IMAGE|g" -e "s|@DM_SOURCE_DIR@|$DM_SOURCE_DIR|g" \
  -e "s|@LAKE_PORT@|$port|g" -e "s|@LAKE_STATE_DIR@|$state|g" \
  -e "s|endpoint: http://127.0.0.1:$port|endpoint: http://\${release}.\${namespace}.svc.cluster.local:$port|" \
  "$P/components/lake/config.yaml"
grep -q 'endpoint: http://${release}.${namespace}.svc.cluster.local:' "$P/components/lake/config.yaml" ||
  fail "the lake's endpoint is not the in-cluster one"
mkdir -p "$P/k8s/configs" "$P/kube" "$P/data/proj/2026"
cp "$bed_kubeconfig" "$P/kube/bed.kubeconfig"
printf 'provider: remote\nkubeconfig: ../../kube/bed.kubeconfig\n' >"$P/k8s/configs/bed.yaml"
cat >"$P/flavours/default.yaml" <<EOF
project:
  k8s_namespace: $ns
  k8s_default_config: bed.yaml
  flavour: [lake]
EOF
for i in 1 2 3; do echo "day,$i" >"$P/data/proj/2026/d$i.csv"; done

# the user's folder: data/ with two buckets' worth, one file over the multipart threshold
W=$T/elsewhere
mkdir -p "$W/data/examples/nested" "$W/data/raw"
for i in $(seq 1 20); do echo "row $i" >"$W/data/examples/f$i.csv"; done
echo "a b c" >"$W/data/examples/nested/with space.txt"
head -c $((9 * 1024 * 1024 + 3)) /dev/urandom >"$W/data/raw/big.bin"
cd "$W"
export DM_HOME=$P XDG_STATE_HOME=$T/state XDG_CONFIG_HOME=$T/config
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
unset KUBECONFIG

# dm-seed's forwards (kubectl port-forward --address 127.0.0.1 --namespace NS ... svc/lake)
pf_left() { pgrep -af -- "port-forward --address 127.0.0.1 --namespace $ns .*svc/lake" || true; }
ok=0
cleanup() {
  if [ "$ok" = 0 ]; then
    KUBECONFIG=$bed_kubeconfig kc -n "$ns" get pods -o wide >&2 2>/dev/null || true
    KUBECONFIG=$bed_kubeconfig kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 45); do pgrep -f "$state" >/dev/null || break; sleep 1; done
    pgrep -f "$state" >/dev/null && bash "$DM_SOURCE_DIR/tests/servers/s3-down.sh" "$state/s3" >&2 || true
  fi
  pkill -f -- "port-forward --address 127.0.0.1 --namespace $ns .*svc/lake" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
show() { sed 's/^/  stderr: /' "$T/err" >&2; sed 's/^/  stdout: /' "$T/out" >&2; }
# step NAME CMD...: runs CMD, stdout to $T/out, stderr to $T/err; must exit 0
step() {
  local name=$1 rc=0
  shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" = 0 ] || { show; fail "$name: exit $rc"; }
}

# --- dm-cluster start: the current target -------------------------------------------------------
step "dm-cluster start" "$DM_BIN/dm-cluster" start
rec=$T/state/dm/current-target.json
[ "$(stat -c %a "$rec")" = 600 ] || fail "the current target's record is not mode 0600"
python3 - "$rec" "$P/kube/bed.kubeconfig" <<'EOF' || fail "the record does not name the test bed's kubeconfig"
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["kubeconfig"] == os.path.realpath(sys.argv[2]), d
assert d["target"].endswith("bed.yaml"), d
EOF
step "dm-cluster status" "$DM_BIN/dm-cluster" status
grep -q "^current .*bed.yaml (this target): kubeconfig $P/kube/bed.kubeconfig" "$T/out" ||
  { show; fail "status does not show the current target"; }
pass "dm-cluster start records the target (0600); status shows it as current"

# --- dm-helm install, on the recorded cluster ---------------------------------------------------
step "dm-helm install" "$DM_BIN/dm-helm" install -v
grep -qF "cluster: the current target of " "$T/err" || { show; fail "dm-helm did not say it uses the current target"; }
kc_bed() { KUBECONFIG=$bed_kubeconfig kc "$@"; }
[ "$(kc_bed -n "$ns" get deploy lake -o jsonpath='{.status.readyReplicas}')" = 1 ] || fail "lake is not ready"
ak=$(kc_bed -n "$ns" get secret lake-credentials -o jsonpath='{.data.rootUser}' | base64 -d)
sk=$(kc_bed -n "$ns" get secret lake-credentials -o jsonpath='{.data.rootPassword}' | base64 -d)
[ ${#ak} = 32 ] && [ ${#sk} = 32 ] || fail "the generated keys are not 32 characters"
pass "dm-helm install: lake Ready on the current target, keys generated into its Secret"

# what is in bucket B under prefix P, checked with curl at the pod's host port: KEY<tab>SIZE lines
listing() {
  local code
  code=$(req "http://127.0.0.1:$port" "$ak" "$sk" GET "/$1?list-type=2&prefix=$2" -)
  [ "$code" = 200 ] || { cat "$T/reply" >&2; fail "list $1/$2: HTTP $code"; }
  python3 -c '
import re, sys
t = open(sys.argv[1]).read()
for k, s in re.findall(r"<Key>([^<]*)</Key>.*?<Size>(\d+)</Size>", t, re.S):
    print(k + "\t" + s)' "$T/reply" | sort
}
# same_bytes B KEY FILE
same_bytes() {
  local code
  code=$(req "http://127.0.0.1:$port" "$ak" "$sk" GET "/$1/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$2")" -)
  [ "$code" = 200 ] || fail "get $1/$2: HTTP $code"
  cmp -s "$T/reply" "$3" || fail "$1/$2 differs from $3"
}
# want_tree B PREFIX DIR: the bucket under PREFIX holds exactly DIR's files, byte for byte
want_tree() {
  local b=$1 pre=$2 dir=$3
  (cd "$dir" && find . -type f -printf '%P\t%s\n' | sed "s|^|$pre|" | sort) >"$T/want"
  listing "$b" "$pre" >"$T/got"
  diff "$T/want" "$T/got" >&2 || fail "bucket $b/$pre does not hold $dir"
  while IFS=$'\t' read -r key _; do same_bytes "$b" "$key" "$dir/${key#"$pre"}"; done <"$T/got"
}
# no_forward_left: the port-forward of a run ended with it
no_forward_left() { [ -z "$(pf_left)" ] || fail "a port-forward outlived dm-seed: $(pf_left)"; }

# --- eval "$(dm-secrets lake --format env)" && dm-seed data/ s3 --------------------------------
step "dm-secrets --format env" "$DM_BIN/dm-secrets" lake --format env
cp "$T/out" "$T/env"
grep -qF "dm-secrets: exporting AWS_ENDPOINT_URL=http://lake.$ns.svc.cluster.local:$port" "$T/err" ||
  { show; fail "--format env does not say which endpoint it exports"; }
grep -qF "is a name inside the cluster: dm-seed reaches it through a port-forward" "$T/err" ||
  { show; fail "no hint for the in-cluster endpoint"; }
(
  eval "$(cat "$T/env")"
  step "dm-seed data/ s3" "$DM_BIN/dm-seed" -v data/ s3
  grep -qF "port-forward: 127.0.0.1:" "$T/err" || { show; fail "dm-seed data/ s3 did not forward a port"; }
  no_forward_left
  step "dm-seed data/ s3, again" "$DM_BIN/dm-seed" --json data/ s3
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["uploaded"] == 0 and d["skipped"] == 22, d' \
    "$T/out" || { show; fail "the rerun uploaded again"; }
  no_forward_left
) || exit 1
want_tree examples "" "$W/data/examples"
want_tree raw "" "$W/data/raw"
pass "eval \"\$(dm-secrets lake --format env)\" && dm-seed data/ s3: buckets examples and raw, byte for byte, through a port-forward; a rerun uploads nothing"

# --- dm-secrets lake --alias minio && dm-seed data/ minio/datalake -----------------------------
step "dm-secrets --alias" "$DM_BIN/dm-secrets" lake --alias minio
af=$T/config/dm/aliases.yaml
[ "$(stat -c %a "$af")" = 600 ] || fail "the alias file is not 0600"
grep -qF 'secret: "lake-credentials"' "$af" || { cat "$af" >&2; fail "the alias does not name the Secret"; }
! grep -qF "$sk" "$af" || fail "the alias file holds the secret key"
step "dm-seed data/ minio/datalake" "$DM_BIN/dm-seed" data/ minio/datalake
no_forward_left
step "dm-seed data/ minio/datalake, again" "$DM_BIN/dm-seed" --json data/ minio/datalake
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["uploaded"] == 0, d' "$T/out" ||
  { show; fail "the rerun into minio/datalake uploaded again"; }
want_tree datalake "" "$W/data"
pass "dm-secrets lake --alias minio && dm-seed data/ minio/datalake: keys from the cluster, no key on disk; a rerun uploads nothing"

# --- dm-seed with no arguments: the project's data_folder --------------------------------------
step "dm-seed (the project's data)" "$DM_BIN/dm-seed" --component lake
want_tree proj "" "$P/data/proj"
no_forward_left
pass "dm-seed --component lake: the project's data_folder, a bucket per folder"

# --- what goes wrong is named -------------------------------------------------------------------
# a forward lost mid-run is reopened on the same port, and the run completes: the kubectl of the
# forward is killed while a large file is on its way
mkdir -p "$T/big"
head -c $((160 * 1024 * 1024)) /dev/urandom >"$T/big/large.bin"
"$DM_BIN/dm-seed" --part-size 5MiB --jobs 2 "$T/big" minio/lost >"$T/out" 2>"$T/err" &
seed_pid=$!
for _ in $(seq 1 300); do [ -n "$(pf_left)" ] && break; sleep 0.1; done
pf=$(pgrep -f -- "port-forward --address 127.0.0.1 --namespace $ns .*svc/lake" | head -1)
[ -n "$pf" ] || { kill "$seed_pid"; fail "no port-forward seen during the run"; }
sleep 2
kill "$pf"
rc=0
wait "$seed_pid" || rc=$?
[ "$rc" = 0 ] || { show; fail "the run whose port-forward was lost: exit $rc"; }
grep -qF "port-forward to $ns/svc/lake lost" "$T/err" || { show; fail "the lost forward was not said"; }
grep -qF "the port-forward was lost 1 time(s) during the run and reopened" "$T/err" || { show; fail "no count of losses"; }
want_tree lost "" "$T/big"
no_forward_left
pass "a port-forward lost mid-run is reopened and said; every byte landed"

# no ready pod behind the Service: said before anything runs
kc_bed -n "$ns" scale deploy lake --replicas=0 >/dev/null
for _ in $(seq 1 120); do [ -z "$(kc_bed -n "$ns" get pods -l app.kubernetes.io/instance=lake -o name)" ] && break; sleep 1; done
rc=0
"$DM_BIN/dm-seed" data/ minio/datalake >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || { show; fail "no ready pod: exit $rc, expected 1"; }
grep -qF "dm-seed: error: alias 'minio' (http://lake.$ns.svc.cluster.local:$port): no ready pod behind service \"lake\" in namespace \"$ns\"" "$T/err" ||
  { show; fail "no ready pod: not said"; }
no_forward_left
# a user whose RBAC may not read the Secret: the server's words
rc=0
"$DM_BIN/dm-seed" --kubeconfig "$DM_TEST_KUBECONFIG_USER" data/ minio/datalake >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || { show; fail "RBAC: exit $rc, expected 1"; }
grep -qF "cannot get secrets in namespace \"$ns\"" "$T/err" || { show; fail "RBAC: not said"; }
pass "no ready pod behind the Service, and RBAC, are named (exit 1)"

# --- the end: uninstall through the current target ---------------------------------------------
step "dm-helm uninstall" "$DM_BIN/dm-helm" uninstall --delete-namespace
ok=1
pass "the pipeline ran on the cluster dm-cluster started, from $W, with no KUBECONFIG"

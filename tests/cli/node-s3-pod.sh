#!/usr/bin/env bash
# The in-cluster lake of tests/fixtures/node-pipeline on the node test bed: component `lake`
# (charts/nd-s3), a real S3 server (Ceph RADOS Gateway) in a pod, serving with the keys that
# dm-helm generated into the Secret lake-credentials.
#   - `dm-helm -f flavours/pipeline.yaml install` generates the Secret (rootUser, rootPassword, 32
#     letters and digits each) and returns once the pod is Ready, i.e. once S3 answers a request
#     signed with those keys; the Service `lake` selects that pod;
#   - with the keys read from the Secret (kubectl), curl's own SigV4 signer creates a bucket, puts an
#     object and gets it back byte for byte at the component's endpoint (http://127.0.0.1:PORT),
#     and through `kubectl port-forward svc/lake`; a wrong secret key and an unknown access key
#     are refused with 403;
#   - `dm-helm uninstall` removes the release, and within the pod's grace period no ceph-mon,
#     ceph-osd or radosgw of the pod's state folder is left (nothing outlives the pod); the
#     generated Secret stays (only --delete-namespace removes it, which the test does last).
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
: "${DM_TEST_NODE_IMAGE:?}" "${DM_TEST_HELM:?}"
export HELM_CACHE_HOME=$T/helm/cache HELM_CONFIG_HOME=$T/helm/config HELM_DATA_HOME=$T/helm/data
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR AWS_CA_BUNDLE REQUESTS_CA_BUNDLE
ns=dm-pipeline

# the fixture tree with the image of this build, this source tree, a free port and a state folder
port=$(S3_PROG=node-s3-pod; . "$DM_SOURCE_DIR/tests/servers/s3-lib.sh"; s3_free_ports 1)
state=$T/lake-state
cp -r "$DM_SOURCE_DIR/tests/fixtures/node-pipeline" "$T/platform"
sed -i -e "s|@DM_TEST_NODE_IMAGE@|$DM_TEST_NODE_IMAGE|g" -e "s|@DM_SOURCE_DIR@|$DM_SOURCE_DIR|g" \
  -e "s|@LAKE_PORT@|$port|g" -e "s|@LAKE_STATE_DIR@|$state|g" "$T/platform/components/lake/config.yaml"
! grep -n '@[A-Z_]*@' "$T/platform/components/lake/config.yaml" || fail "placeholders left in the fixture"
FX=$T/platform/flavours/pipeline.yaml
endpoint=http://127.0.0.1:$port

# processes of the pod's server: the daemons (their command lines name $state/s3/ceph.conf) and the scripts
ceph_left() { pgrep -af "$state" | grep -E 'ceph-mon|ceph-osd|radosgw|s3-pod.sh|s3-up.sh' || true; }
pf_pid=''
done_ok=0
# on a failure: the port-forward, then the namespace (the pod's TERM stops its server); a ceph
# process of this folder still there after the grace period is stopped by pid (s3-down.sh
# signals only pids whose command line names that folder's ceph.conf)
cleanup() {
  [ -z "$pf_pid" ] || kill "$pf_pid" 2>/dev/null || true
  if [ "$done_ok" = 0 ]; then
    kc -n "$ns" get pods -o wide >&2 2>/dev/null || true
    kc -n "$ns" logs deployment/lake --tail 30 >&2 2>/dev/null || true
    kc delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 45); do [ -z "$(ceph_left)" ] && break; sleep 1; done
    [ -z "$(ceph_left)" ] || bash "$DM_SOURCE_DIR/tests/servers/s3-down.sh" "$state/s3" >&2 || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT

# run ARGS...: dm-helm's stdout to $T/out, stderr to $T/err, exit code to $rc, seconds to $took
run() {
  local t0
  t0=$(date +%s.%N)
  rc=0
  "$DM_BIN/dm-helm" "$@" >"$T/out" 2>"$T/err" || rc=$?
  took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}
show() { sed 's/^/  stderr: /' "$T/err" >&2; sed 's/^/  stdout: /' "$T/out" >&2; }
secret_field() { kc -n "$ns" get secret lake-credentials -o "jsonpath={.data.$1}" | base64 -d; }

# --- install ------------------------------------------------------------------------------------
run -f "$FX" install -v
[ "$rc" -eq 0 ] || { show; fail "install pipeline.yaml: exit $rc"; }
end=$(date +%s)
own=$(sed -n 's/^dm-helm: lake: installed in \([0-9.]*\) s$/\1/p' "$T/err")
[ -n "$own" ] || { show; fail "no 'lake: installed' line"; }
pass "dm-helm install pipeline.yaml: exit 0 in ${took}s (lake installed in ${own}s)"

pod=$(kc -n "$ns" get pods -l app.kubernetes.io/instance=lake -o jsonpath='{.items[*].metadata.name}')
[ -n "$pod" ] && [ "${pod// /}" = "$pod" ] || fail "expected one pod of lake, got '$pod'"
[ "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
  { kc -n "$ns" describe pod "$pod" >&2; fail "right after dm-helm returned, pod $pod is not Ready"; }
ready_at=$(date -d "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')" +%s)
[ "$ready_at" -le "$end" ] || fail "pod $pod Ready at $ready_at, after dm-helm returned at $end"
pass "pod $pod Ready before dm-helm returned"

# the Secret that dm-helm generated: two fields of 32 letters and digits, labelled as dm's
ak=$(secret_field rootUser) sk=$(secret_field rootPassword)
[[ "$ak" =~ ^[A-Za-z0-9]{32}$ && "$sk" =~ ^[A-Za-z0-9]{32}$ ]] || fail "Secret lake-credentials: rootUser/rootPassword are not 32 letters and digits"
[ "$ak" != "$sk" ] || fail "Secret lake-credentials: rootUser equals rootPassword"
[ "$(kc -n "$ns" get secret lake-credentials -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}')" = dm ] ||
  fail "Secret lake-credentials is not labelled managed-by dm"
# the pod takes them from that Secret, and nowhere else
refs=$(kc -n "$ns" get pod "$pod" -o jsonpath='{range .spec.containers[0].env[*]}{.name}={.valueFrom.secretKeyRef.name}/{.valueFrom.secretKeyRef.key}{"\n"}{end}')
grep -qx 'DM_S3_ACCESS_KEY=lake-credentials/rootUser' <<<"$refs" && grep -qx 'DM_S3_SECRET_KEY=lake-credentials/rootPassword' <<<"$refs" ||
  fail "pod $pod does not take its keys from lake-credentials: $refs"
! grep -rqF -e "$sk" "$T/platform" "$T/out" "$T/err" || fail "the secret key is in the platform tree or dm-helm's output"
pass "Secret lake-credentials (rootUser, rootPassword) generated by dm-helm; the pod reads it through secretKeyRef"

# the Service: named after the release, the S3 port, its selector choosing the pod.  (Its
# Endpoints stay empty on the test bed: the API refuses the pod's address, 127.0.0.1, as an
# endpoint, "may not be in the loopback range"; kubectl port-forward goes by the selector.)
[ "$(kc -n "$ns" get service lake -o jsonpath='{.spec.ports[0].port}/{.spec.ports[0].targetPort}')" = "$port/$port" ] ||
  fail "Service lake: port/targetPort is not $port/$port"
sel=$(kc -n "$ns" get service lake -o go-template='{{range $k, $v := .spec.selector}}{{$k}}={{$v}},{{end}}')
[ -n "$sel" ] || fail "Service lake has no selector"
[ "$(kc -n "$ns" get pods -l "${sel%,}" -o jsonpath='{.items[*].metadata.name}')" = "$pod" ] ||
  fail "Service lake's selector ${sel%,} does not choose exactly pod $pod"
pass "Service lake, port $port, selects pod $pod (${sel%,})"

# --- S3 with an independent client (curl's SigV4), the keys from the cluster ----------------------
expect_code() { # WANT GOT WHAT
  [ "$2" = "$1" ] || { cat "$T/reply" >&2 2>/dev/null || true; fail "$3: HTTP $2, expected $1"; }
}

# the endpoint the component declares (its `secret.endpoint`), as dm-secrets gives it
[ "$(grep -c "endpoint: $endpoint\$" "$T/platform/components/lake/config.yaml")" = 1 ] || fail "lake's endpoint is not $endpoint"
head -c 300000 /dev/urandom >"$T/object"
bucket=lake-$RANDOM
expect_code 200 "$(req "$endpoint" "$ak" "$sk" PUT "/$bucket" -)" "create bucket $bucket"
expect_code 200 "$(req "$endpoint" "$ak" "$sk" PUT "/$bucket/data/object.bin" "$T/object")" "put data/object.bin"
expect_code 200 "$(req "$endpoint" "$ak" "$sk" GET "/$bucket/data/object.bin" -)" "get data/object.bin"
cmp -s "$T/reply" "$T/object" || fail "data/object.bin came back different"
pass "at $endpoint: bucket $bucket created, 300000 bytes put and got back byte for byte"

code=$(req "$endpoint" "$ak" "${sk%?}x" GET "/$bucket/data/object.bin" -)
expect_code 403 "$code" "a wrong secret key"
grep -q '<Code>SignatureDoesNotMatch</Code>' "$T/reply" || fail "a wrong secret key: $(cat "$T/reply")"
code=$(req "$endpoint" "AKIDNOTAUSER0000NONE" "$sk" GET "/$bucket/data/object.bin" -)
expect_code 403 "$code" "an unknown access key"
grep -q '<Code>InvalidAccessKeyId</Code>' "$T/reply" || fail "an unknown access key: $(cat "$T/reply")"
pass "a wrong secret key (403 SignatureDoesNotMatch) and an unknown access key (403 InvalidAccessKeyId) refused"

# through the Service, as a workstation reaches it: kubectl port-forward picks its ready pod
lport=$(S3_PROG=node-s3-pod; . "$DM_SOURCE_DIR/tests/servers/s3-lib.sh"; s3_free_ports 1)
"$DM_TEST_KUBECTL" -n "$ns" port-forward svc/lake "$lport:$port" >"$T/pf.log" 2>&1 &
pf_pid=$!
for _ in $(seq 1 50); do grep -q '^Forwarding from 127.0.0.1' "$T/pf.log" && break; sleep 0.2; done
grep -q '^Forwarding from 127.0.0.1' "$T/pf.log" || { cat "$T/pf.log" >&2; fail "kubectl port-forward svc/lake did not start"; }
expect_code 200 "$(req "http://127.0.0.1:$lport" "$ak" "$sk" GET "/$bucket/data/object.bin" -)" "get through port-forward svc/lake"
cmp -s "$T/reply" "$T/object" || fail "data/object.bin came back different through the port-forward"
kill "$pf_pid" 2>/dev/null || true
wait "$pf_pid" 2>/dev/null || true
pf_pid=''
pass "the same object through kubectl port-forward svc/lake"

# --- uninstall: nothing of the server outlives the pod ---------------------------------------------
[ -n "$(ceph_left)" ] || fail "no ceph process of $state before the uninstall: the check below would prove nothing"
run -f "$FX" uninstall -v
[ "$rc" -eq 0 ] || { show; fail "uninstall pipeline.yaml: exit $rc"; }
t0=$(date +%s)
# the server stops on the pod's TERM: nothing of it within the pod's 30 s grace period (and a
# little more for the kubelet to send it)
while [ -n "$(ceph_left)" ]; do
  [ "$(date +%s)" -lt $((t0 + 45)) ] || fail "45 s after the uninstall, still running: $(ceph_left)"
  sleep 1
done
pass "uninstall: exit 0 in ${took}s; no ceph-mon/ceph-osd/radosgw/s3-pod.sh of $state left $(($(date +%s) - t0)) s later"
# the pod object goes once the kubelet has cleaned up after it
while [ -n "$(kc -n "$ns" get pods -l app.kubernetes.io/instance=lake -o name 2>/dev/null)" ]; do
  [ "$(date +%s)" -lt $((t0 + 150)) ] || { kc -n "$ns" get pods -o wide >&2; fail "pod of lake still there 150 s after the uninstall"; }
  sleep 1
done
pass "pod of lake gone $(($(date +%s) - t0)) s after the uninstall"
"$DM_TEST_HELM" list -A -q | grep -qx lake && fail "release lake still listed"
[ "$(kc -n "$ns" get deployments,services -o name)" = "" ] || fail "left in $ns: $(kc -n "$ns" get deployments,services -o name)"
[ "$(secret_field rootUser)" = "$ak" ] || fail "Secret lake-credentials not kept by a plain uninstall"
pass "no release, Deployment or Service left; Secret lake-credentials kept"

run -f "$FX" uninstall --delete-namespace
[ "$rc" -eq 0 ] || { show; fail "uninstall --delete-namespace: exit $rc"; }
for _ in $(seq 1 60); do kc get namespace "$ns" >/dev/null 2>&1 || break; sleep 1; done
kc get namespace "$ns" >/dev/null 2>&1 && fail "namespace $ns still there 60 s after --delete-namespace"
pass "namespace $ns deleted"
done_ok=1

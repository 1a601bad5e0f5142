#!/usr/bin/env bash
# dm-helm on the node test bed, with pods that really run (tests/fixtures/node-helm: local charts,
# the node's pause image and dm's image of this build, never pulled):
#   - --wait waits for Ready: nd-ready's pod becomes Ready 8 s after it starts (an exec readiness
#     probe); dm-helm must not return before, and right after it returns kubectl shows it Ready;
#   - a container that exits 1 (nd-crash: dm-seed on a missing folder) stops helm's wait once it
#     has been restarted twice (--crash-restarts 2), well before the component's 60 s timeout, and is
#     reported with its pod, its reason as the container status says, the exit code and its last
#     log line; nd-after-crash (needs it) is skipped; exit 4.  Installed again with --timeout 12s
#     and --crash-restarts 1, the pod that was crash-looping before helm ran does not stop it: helm's
#     own timeout, then the same diagnosis;
#   - uninstall goes in reverse order and leaves no release, Deployment, ReplicaSet, pod nor helm
#     Secret; the namespace stays, or with --delete-namespace (dm created it) goes.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
: "${DM_TEST_NODE_IMAGE:?}" "${DM_TEST_HELM:?}"
H=$DM_TEST_HELM
export HELM_CACHE_HOME=$T/helm/cache HELM_CONFIG_HOME=$T/helm/config HELM_DATA_HOME=$T/helm/data
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL

# the fixture tree, with the image of this build in nd-crash's values
cp -r "$DM_SOURCE_DIR/tests/fixtures/node-helm" "$T/platform"
sed -i "s|@DM_TEST_NODE_IMAGE@|$DM_TEST_NODE_IMAGE|" "$T/platform/components/nd-crash/values.yaml"
FX=$T/platform/flavours

# run ARGS...: dm-helm's stdout to $T/out, stderr to $T/err, exit code to $rc, seconds to $took
run() {
  local t0
  t0=$(date +%s.%N)
  rc=0
  "$DM_BIN/dm-helm" "$@" >"$T/out" 2>"$T/err" || rc=$?
  took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}
show() { sed 's/^/  stderr: /' "$T/err" >&2; sed 's/^/  stdout: /' "$T/out" >&2; }
expect_rc() { # WANT WHAT
  [ "$rc" -eq "$1" ] || { show; fail "$2: exit $rc, expected $1"; }
  pass "$2: exit $rc in ${took}s"
}
# the order of "NAME: VERB ..." lines in $T/err
order_of() { sed -n "s/^dm-helm: \([a-z0-9-]*\): $1 \.\.\.$/\1/p" "$T/err" | tr '\n' ' ' | sed 's/ $//'; }
# the one pod of release REL in NS (the chart labels its pods dm-test/pod=REL)
pod_of() { kc -n "$1" get pods -l "dm-test/pod=$2" -o jsonpath='{.items[*].metadata.name}'; }
epoch() { date -d "$1" +%s; }
# nothing_left NS REL...: no release (helm list -A), and within 60 s no Deployment, ReplicaSet, pod
# or helm Secret of theirs in NS (pods go after their Deployment, through the garbage collector).
# A pod whose deletion the API server has accepted (deletionTimestamp set: "Terminating") but
# that this test bed's kubelet (1.20) has not finished in 60 s counts as gone: now and then its
# pod worker loses a container killed while an exec probe ran, and the pod stays Terminating
# with its container "ContainerStatusUnknown"; what the uninstall had to do is done.
nothing_left() {
  local ns=$1 rel left deadline=$(( $(date +%s) + 60 ))
  shift
  for rel in "$@"; do
    "$H" list -A -q | grep -qx "$rel" && fail "release $rel still listed by helm list -A"
  done
  local live='{{range .items}}{{if not .metadata.deletionTimestamp}}pod/{{.metadata.name}} {{end}}{{end}}'
  local dying='{{range .items}}{{if .metadata.deletionTimestamp}}pod/{{.metadata.name}} {{end}}{{end}}'
  local terminating
  while :; do
    left= terminating=
    for rel in "$@"; do
      left+=$(kc -n "$ns" get deployments,replicasets -l "app.kubernetes.io/instance=$rel" -o name 2>/dev/null)
      left+=$(kc -n "$ns" get deployments,replicasets -l "dm-test/pod=$rel" -o name 2>/dev/null)
      left+=$(kc -n "$ns" get pods -l "dm-test/pod=$rel" -o go-template="$live" 2>/dev/null)
      terminating+=$(kc -n "$ns" get pods -l "dm-test/pod=$rel" -o go-template="$dying" 2>/dev/null)
      left+=$(kc -n "$ns" get secrets -l "owner=helm,name=$rel" -o name 2>/dev/null)
    done
    [ -z "$left$terminating" ] && break
    if [ -z "$left" ] && [ "$(date +%s)" -ge "$deadline" ]; then
      echo "note: still Terminating on the kubelet 60 s after the uninstall (deletion accepted): $terminating"
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      kc -n "$ns" get pods -o wide >&2 || true
      kc -n "$ns" describe pods >&2 || true
      fail "left in $ns 60 s after the uninstall: $left"
    fi
    sleep 1
  done
  pass "nothing of $* left in $ns (helm list -A, Deployments, ReplicaSets, pods, helm Secrets)"
}

run --crash-restarts -1 install
expect_rc 2 "--crash-restarts -1"
[ "$(head -n 1 "$T/err")" = "dm-helm: error: --crash-restarts must be a number from 0 to 1000, not '-1'" ] || { show; fail "--crash-restarts -1: message"; }

# --- --wait waits for Ready ------------------------------------------------------------------
run -f "$FX/ready.yaml" install -v
expect_rc 0 "install ready.yaml"
end=$(date +%s)
ns=dm-node-ready
pod=$(pod_of "$ns" nd-ready)
[ -n "$pod" ] || fail "no pod of nd-ready"
ready=$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
[ "$ready" = True ] || { kc -n "$ns" describe pod "$pod" >&2; fail "right after dm-helm returned, pod $pod is not Ready ($ready)"; }
started=$(epoch "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].state.running.startedAt}')")
ready_at=$(epoch "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')")
# the probe's delay took effect (Ready >= 8 s after the start), and dm-helm returned after Ready
[ $((ready_at - started)) -ge 8 ] || fail "pod $pod Ready $((ready_at - started)) s after its container started, expected >= 8"
[ "$ready_at" -le "$end" ] || fail "pod $pod Ready at $ready_at, after dm-helm returned at $end"
own=$(sed -n 's/^dm-helm: nd-ready: installed in \([0-9.]*\) s$/\1/p' "$T/err")
awk -v t="$own" 'BEGIN { exit !(t >= 8) }' || { show; fail "nd-ready installed in '${own}'s, before its 8 s readiness delay"; }
pass "nd-ready: pod $pod Ready $((ready_at - started)) s after its start; nd-ready installed in ${own}s"
[ "$(kc -n "$ns" get pod "$(pod_of "$ns" nd-app)" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
  fail "nd-app's pod is not Ready"
[ "$(order_of installing)" = "nd-ready nd-app" ] || { show; fail "install order '$(order_of installing)'"; }
grep -qx "dm-helm: install: 2 installed" "$T/err" || { show; fail "no summary line"; }
pass "install order nd-ready nd-app, both pods Ready"

run -f "$FX/ready.yaml" uninstall -v
expect_rc 0 "uninstall ready.yaml"
[ "$(order_of uninstalling)" = "nd-app nd-ready" ] || { show; fail "uninstall order '$(order_of uninstalling)'"; }
pass "uninstall order nd-app nd-ready"
nothing_left "$ns" nd-app nd-ready
[ "$(kc get namespace "$ns" -o 'jsonpath={.status.phase}')" = Active ] || fail "namespace $ns not kept by a plain uninstall"
pass "namespace $ns kept (no --delete-namespace)"

# --- a container that exits 1 ------------------------------------------------------------------
ns=dm-node-crash
# --crash-restarts 2 rather than the default 3: the kubelet's back-off puts the third restart
# 45 to 55 s after the first crash on a loaded machine, too close to the 60 s for a test
run -f "$FX/crash.yaml" install --json --crash-restarts 2
expect_rc 4 "install crash.yaml --crash-restarts 2"
own=$(python3 -c 'import json, sys
print([c for c in json.load(open(sys.argv[1]))["components"] if c["component"] == "nd-crash"][0]["seconds"])' "$T/out")
awk -v t="$own" 'BEGIN { exit !(t < 50) }' || fail "nd-crash failed after ${own}s: not well before its 60 s timeout"
pod=$(pod_of "$ns" nd-crash)
[ -n "$pod" ] || fail "no pod of nd-crash"
log="dm-seed: error: cannot read '/dm-test-missing': No such file or directory"
line=$(grep '^dm-helm: error: nd-crash: ' "$T/err") || { show; fail "no error line for nd-crash"; }
# the reason as the container's status has it: waiting (CrashLoopBackOff), terminated (Error), or
# caught running an instant after a restart ("running, not ready" and how its last run ended)
crashing='((CrashLoopBackOff|Error) \(|running, not ready \(last run: Error, )exit 1, ([0-9]+) restarts\)'
re="^dm-helm: error: nd-crash: failed after [0-9]+\.[0-9] s: helm upgrade --install nd-crash stopped: pod $pod: container main: $crashing: (.*)\$"
[[ "$line" =~ $re ]] || { show; fail "nd-crash's error line: '$line'"; }
reason=${BASH_REMATCH[2]:-running again} restarts=${BASH_REMATCH[3]}
[ "${BASH_REMATCH[4]}" = "$log" ] || fail "last log line '${BASH_REMATCH[4]}', expected '$log'"
# what the message says is what the pod's status says (restarts only grow)
now_restarts=$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount}')
[ "$restarts" -ge 2 ] && [ "$now_restarts" -ge "$restarts" ] || fail "restarts: message $restarts, pod now $now_restarts"
[ "$(kc -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')" = 1 ] ||
  fail "pod $pod: last exit code is not 1"
pass "nd-crash failed after $(printf %.1f "$own")s (timeout 60s): pod $pod, $reason, exit 1, $restarts restarts, its last log line"
grep -qx "dm-helm: warning: nd-after-crash: skipped: needs 'nd-crash', which failed" "$T/err" || { show; fail "nd-after-crash not shown skipped"; }
grep -qx "dm-helm: install: 1 installed, 1 failed, 1 skipped: nd-crash (failed), nd-after-crash (skipped)" "$T/err" ||
  { show; fail "summary line"; }
"$H" status nd-after-crash -n "$ns" >/dev/null 2>&1 && fail "nd-after-crash was installed"
[ "$(kc -n "$ns" get deployment nd-ready -o jsonpath='{.status.readyReplicas}')" = 1 ] || fail "nd-ready is not installed and ready"
pass "nd-after-crash skipped (no release), nd-ready installed"

# again, with a shorter timeout: the pod was there, crash-looping, before helm ran, so even with
# --crash-restarts 1 it does not stop helm: helm waits for its own timeout, then the failure names
# the pod the same way
run -f "$FX/crash.yaml" install --timeout 12s --crash-restarts 1 --json nd-crash
expect_rc 4 "install nd-crash --timeout 12s"
awk -v t="$took" 'BEGIN { exit !(t >= 12 && t < 40) }' || fail "took ${took}s, expected helm's 12 s timeout"
line=$(grep '^dm-helm: error: nd-crash: ' "$T/err") || { show; fail "no error line for nd-crash"; }
re="^dm-helm: error: nd-crash: failed after [0-9]+\.[0-9] s: helm upgrade --install nd-crash failed: [^;]+; pod $pod: container main: $crashing: (.*)\$"
[[ "$line" =~ $re ]] && [ "${BASH_REMATCH[4]}" = "$log" ] || { show; fail "nd-crash's error line after the timeout: '$line'"; }
python3 - "$T/out" "$pod" "$log" <<'EOF' || fail "--json: nd-crash's detail"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["components"][0]
assert c["component"] == "nd-crash" and c["outcome"] == "failed", c
assert f"pod {sys.argv[2]}: container main: " in c["detail"] and c["detail"].endswith(": " + sys.argv[3]), c
EOF
pass "after helm's timeout (${took}s): ${line#dm-helm: error: nd-crash: failed after * s: }"

# --- uninstall --delete-namespace ------------------------------------------------------------------
run -f "$FX/crash.yaml" uninstall -v --delete-namespace
expect_rc 0 "uninstall crash.yaml --delete-namespace"
[ "$(order_of uninstalling)" = "nd-ready nd-after-crash nd-crash" ] || { show; fail "uninstall order '$(order_of uninstalling)'"; }
grep -qx "dm-helm: nd-after-crash: release 'nd-after-crash' is not installed" "$T/err" || { show; fail "nd-after-crash not said not installed"; }
pass "uninstall order nd-ready nd-after-crash nd-crash (the reverse of the install's)"
nothing_left "$ns" nd-ready nd-crash nd-after-crash
# dm created the namespace: the node's namespace controller removes it
for _ in $(seq 1 60); do kc get namespace "$ns" >/dev/null 2>&1 || break; sleep 1; done
kc get namespace "$ns" >/dev/null 2>&1 && fail "namespace $ns still there 60 s after --delete-namespace"
pass "namespace $ns deleted"

# the first namespace, kept above, goes the same way
run -f "$FX/ready.yaml" uninstall --delete-namespace
expect_rc 0 "uninstall ready.yaml --delete-namespace"
for _ in $(seq 1 60); do kc get namespace dm-node-ready >/dev/null 2>&1 || break; sleep 1; done
kc get namespace dm-node-ready >/dev/null 2>&1 && fail "namespace dm-node-ready still there"
pass "namespace dm-node-ready deleted"

#!/usr/bin/env bash
# dm-cluster with a remote target on the node test bed (fixture "node"): status lists the node
# Ready with its allocatable CPU and memory (table and --json); `debug ... -- COMMAND` runs the
# command in a pod of dm's image and prints its output, exits with the command's exit code, says
# why a pod whose image cannot be had did not start, stops and deletes the pod when dm-cluster is
# interrupted, and in every case leaves no pod behind (checked with kubectl).
# The debug pods use --host-network: on this node a pod without it gets no sandbox ("failed to
# find network info for sandbox": there is no pod network, only the loopback CNI plugin).
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"
bed_env "$DM_TEST_WORK/node/env"
: "${DM_TEST_NODE_IMAGE:?}" "${DM_TEST_K8S_NODE:?}"
unset KUBECONFIG
export DM_KUBECTL=$DM_TEST_KUBECTL
ns=dmn-$id
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; kc delete ns "$ns" --timeout=90s >/dev/null 2>&1 || true' EXIT
remote_flavour "$ns"
run 0 -f "$F" --remote start   # creates the namespace

# no pod of ours is left in the namespace (pending deletions included)
no_pod_left() {
  local left
  left=$(kc -n "$ns" get pods -o name)
  [ -z "$left" ] || fail "$1: pods left in $ns: $left"
}

# --- status: the node, Ready, with its allocatable CPU and memory ---------------------------------
node=$DM_TEST_K8S_NODE
mem=$(kc get node "$node" -o jsonpath='{.status.allocatable.memory}')
[[ "$mem" =~ ^[0-9]+Ki$ ]] || fail "node $node: allocatable memory '$mem' (from kubectl) is not in Ki"
run 0 -f "$F" --remote status
grep -qxE "nodes +1/1 Ready" "$T/out" || fail "status: no 'nodes 1/1 Ready' line"
grep -qxF "node         $node Ready, allocatable cpu $(nproc), memory $mem" "$T/out" ||
  fail "status: no line 'node $node Ready, allocatable cpu $(nproc), memory $mem'"
run 0 -f "$F" --remote status --json
python3 - "$T/out" "$node" "$(nproc)" "$mem" <<'EOF' || fail "status --json: nodes"
import json, sys
d = json.load(open(sys.argv[1]))
n = d["nodes"]
want = {"name": sys.argv[2], "ready": True, "cpu": sys.argv[3], "memory": sys.argv[4]}
assert n["total"] == 1 and n["ready"] == 1 and n["items"] == [want], n
assert d["ready"] is True, d
EOF
pass "status: $node Ready, allocatable cpu $(nproc) (nproc), memory $mem, in the table and in --json"

# --- debug -- COMMAND -----------------------------------------------------------------------------
dbg=(-f "$F" --remote debug net --host-network --image "$DM_TEST_NODE_IMAGE" --)
run 0 "${dbg[@]}" dm-seed --version
[ "$(cat "$T/out")" = "$("$DM_BIN/dm-seed" --version)" ] || fail "debug: stdout '$(cat "$T/out")', expected the version"
grep -qE "^dm-cluster: running 'dm-seed' in pod 'dm-debug-net-[0-9]+-[0-9a-f]+' \($DM_TEST_NODE_IMAGE\) in namespace '$ns'$" "$T/err" ||
  fail "debug: no 'running' line"
no_pod_left "debug -- dm-seed --version"
pass "debug net -- dm-seed --version: the version on stdout, exit 0, pod deleted"

# a command that exits 3 (a flavour file that does not exist: bad configuration)
run 3 "${dbg[@]}" dm-secrets --secret x -f /nonexistent
# the pod's log holds the command's stdout and stderr: both come on dm-cluster's stdout
[ "$(cat "$T/out")" = "dm-secrets: error: flavour '/nonexistent' does not exist" ] ||
  fail "debug: the command's error line is not shown"
no_pod_left "debug -- a command that exits 3"
pass "debug net -- COMMAND that exits 3: dm-cluster exits 3, pod deleted"

# an image the node does not have and cannot pull
t0=$(date +%s)
run 1 -f "$F" --remote --timeout 15s debug net --host-network --image localhost/dm-absent:0 -- dm-seed --version
grep -qE "^dm-cluster: error: pod 'dm-debug-net-[0-9]+-[0-9a-f]+' \(image 'localhost/dm-absent:0'\) did not start within 15s: (ErrImagePull|ImagePullBackOff): .*localhost/dm-absent:0" "$T/err" ||
  fail "debug with a bad image: no clear error"
[ ! -s "$T/out" ] || fail "debug with a bad image wrote to stdout: $(cat "$T/out")"
el=$(( $(date +%s) - t0 ))
[ "$el" -lt 45 ] || fail "debug with a bad image took ${el}s (--timeout 15s)"
no_pod_left "debug with a bad image"
pass "debug with an image that cannot be pulled: the reason, exit 1, pod deleted, ${el}s"

# interrupted while the command runs: the sandbox image's /pause sleeps until it is signalled
pause=$(sed -n 's/^pause_ref=//p' "$DM_SOURCE_DIR/tests/servers/k8s-node.sh")
[ -n "$pause" ] || fail "no pause_ref in tests/servers/k8s-node.sh"
"$DMC" -f "$F" --remote debug app --host-network --image "$pause" -- /pause >"$T/out" 2>"$T/err" &
bg=$!
deadline=$(( $(date +%s) + 60 ))
until [ "$(kc -n "$ns" get pods -o jsonpath='{.items[*].status.phase}')" = Running ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the /pause pod did not run within 60s"
  sleep 0.5
done
pod=$(kc -n "$ns" get pods -o jsonpath='{.items[0].metadata.name}')
# SIGTERM: a background job of a script ignores SIGINT, and dm-cluster keeps an ignored signal ignored
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
bg=
[ "$rc" = 130 ] || fail "interrupted debug exited $rc, expected 130"
grep -qxF "dm-cluster: error: interrupted: pod '$pod' deleted" "$T/err" || fail "interrupted debug: no 'deleted' line"
no_pod_left "interrupted debug"
pass "debug interrupted while /pause runs: exit 130, pod $pod deleted"

# --- usage ----------------------------------------------------------------------------------------
expect_err 2 "unexpected argument 'dm-seed' (the command to run in the pod goes after '--': debug net -- COMMAND [ARGS...])" \
  -f "$F" --remote debug net dm-seed
expect_err 2 "--host-network is for debug" -f "$F" --remote --host-network status
pass "usage: a command without '--', --host-network outside debug"

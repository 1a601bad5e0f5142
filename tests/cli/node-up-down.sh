#!/usr/bin/env bash
# The node of the test bed (fixture "node"): Ready, untainted, with its allocatable CPU and
# memory and the address 127.0.0.1; a hostNetwork pod of dm's image (imported, never pulled) runs
# `dm-seed --version` to completion and `kubectl logs` (API server -> kubelet on 127.0.0.1) shows
# the version.  The pod is left in place on purpose: the fixture's cleanup (node_server_down,
# tests/cli/node-down.sh) stops the test bed and checks that nothing of it is left, the
# /var/log/pods folder of the pod recorded here included.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/node-lib.sh"
node=$DM_TEST_K8S_NODE

# --- the node --------------------------------------------------------------------------------------
[ "$(kc get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
  fail "node $node is not Ready"
[ -z "$(kc get node "$node" -o jsonpath='{.spec.taints}')" ] || fail "node $node has taints"
[ "$(kc get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')" = 127.0.0.1 ] ||
  fail "node $node: InternalIP is not 127.0.0.1"
cpu=$(kc get node "$node" -o jsonpath='{.status.allocatable.cpu}')
[ "$cpu" = "$(nproc)" ] || fail "node $node: allocatable cpu '$cpu', expected $(nproc) (nproc)"
mem=$(kc get node "$node" -o jsonpath='{.status.allocatable.memory}')
total_ki=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
[[ "$mem" =~ ^([0-9]+)Ki$ ]] || fail "node $node: allocatable memory '$mem' is not in Ki"
[ "${BASH_REMATCH[1]}" -gt $((total_ki / 2)) ] && [ "${BASH_REMATCH[1]}" -le "$total_ki" ] ||
  fail "node $node: allocatable memory $mem, MemTotal here ${total_ki}Ki"
pass "node $node Ready, untainted, 127.0.0.1, allocatable cpu $cpu memory $mem"

# --- a pod of dm's image --------------------------------------------------------------------------
: "${DM_TEST_NODE_IMAGE:?}"
want=$("$DM_BIN/dm-seed" --version)
pod=dm-version-$$
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $pod, namespace: default}
spec:
  hostNetwork: true
  restartPolicy: Never
  containers:
    - name: dm
      image: $DM_TEST_NODE_IMAGE
      imagePullPolicy: Never
      command: [dm-seed, --version]
YAML
wait_pod default "$pod" Succeeded 60
got=$(kc -n default logs "$pod")
[ "$got" = "$want" ] || fail "pod log '$got', expected '$want'"
[ "$(kc -n default get pod "$pod" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')" = 0 ] ||
  fail "pod $pod: exit code is not 0"
pass "pod $pod of $DM_TEST_NODE_IMAGE ran dm-seed --version: $got"

# for the cleanup's check: the pod's log folder exists now, and must not after k8s-down
uid=$(kc -n default get pod "$pod" -o jsonpath='{.metadata.uid}')
[ -d "/var/log/pods/default_${pod}_$uid" ] || fail "no /var/log/pods/default_${pod}_$uid while the pod exists"
echo "$uid" >>"$DM_TEST_K8S_DIR/checked-pod-uids"
pass "its logs are in /var/log/pods/default_${pod}_$uid (the cleanup checks that they go)"

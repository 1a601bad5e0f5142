#!/usr/bin/env bash
# dm-gpu check --kubeconfig against the real API server of the test bed
# (fixture "k8s"): a node's allocatable nvidia.com/gpu, as the device plugin
# would have registered it, and the clear failures (no GPUs offered, node
# not found, not allowed to read nodes).  The GPUs are the fake libraries'.
GPU_TEST_NAME=gpu_k8s
. "$DM_SOURCE_DIR/tests/cli/gpu-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"

F=$FAKES/current
R=$W/root
mkdir -p "$R/dev" "$R/usr/bin"
for n in nvidiactl nvidia-uvm nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7; do : >"$R/dev/$n"; done
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"; chmod +x "$R/usr/bin/nvidia-ctk"

id=$$-$RANDOM
gpu_node=gpu-$id
cpu_node=cpu-$id
node_json() { # NAME GPUS-CAPACITY GPUS-ALLOCATABLE ('' = no such resource)
  local cap='"cpu":"64"' alloc='"cpu":"63"'
  [ -n "$2" ] && cap="$cap,\"nvidia.com/gpu\":\"$2\""
  [ -n "$3" ] && alloc="$alloc,\"nvidia.com/gpu\":\"$3\""
  printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"},"status":{"capacity":{%s},"allocatable":{%s}}}\n' \
    "$1" "$cap" "$alloc"
}
trap '"$DM_TEST_KUBECTL" delete node "$gpu_node" "$cpu_node" --ignore-not-found >/dev/null 2>&1' EXIT
node_json "$gpu_node" 8 8 | "$DM_TEST_KUBECTL" create -f - >/dev/null || { echo "cannot create node"; exit 1; }
node_json "$cpu_node" '' '' | "$DM_TEST_KUBECTL" create -f - >/dev/null || { echo "cannot create node"; exit 1; }

S=(DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$F/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$F/libcuda.so.1")

run k8s_ready 0 "${S[@]}" -- check --kubeconfig "$KUBECONFIG" --node "$gpu_node" --json --root "$R"
jeq k8s_ready kubernetes.node "$gpu_node"
jeq k8s_ready kubernetes.allocatable 8
jeq k8s_ready kubernetes.capacity 8
jeq k8s_ready reasons '[]'

# NODE_NAME (the downward API's usual name) picks the node; the token kubeconfig works too
run k8s_env 0 "${S[@]}" NODE_NAME="$gpu_node" -- check --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --json --root "$R"
jeq k8s_env kubernetes.node "$gpu_node"

run k8s_no_plugin 1 "${S[@]}" -- check --kubeconfig "$KUBECONFIG" --node "$cpu_node" --root "$R"
has k8s_no_plugin err "dm-gpu: error: [no-allocatable-gpu] Kubernetes node '$cpu_node' offers no nvidia.com/gpu (allocatable 0): deploy the NVIDIA device plugin"

run k8s_missing 1 "${S[@]}" -- check --kubeconfig "$KUBECONFIG" --node "no-such-$id" --root "$R"
has k8s_missing err "dm-gpu: error: [kubernetes-node] cannot read node 'no-such-$id' from Kubernetes: node \"no-such-$id\" not found"

run k8s_forbidden 1 "${S[@]}" -- check --kubeconfig "$DM_TEST_KUBECONFIG_USER" --node "$gpu_node" --root "$R"
has k8s_forbidden err "cannot get nodes"

run k8s_bad_file 1 "${S[@]}" -- check --kubeconfig "$W/absent-kubeconfig" --node "$gpu_node" --root "$R"
has k8s_bad_file err "dm-gpu: error: [kubernetes-node]"
has k8s_bad_file err "$W/absent-kubeconfig"

# --node alone: the cluster that $KUBECONFIG names (else the current target, else ~/.kube/config)
run k8s_node_alone 0 "${S[@]}" -- check --node "$gpu_node" --json --root "$R"
jeq k8s_node_alone kubernetes.node "$gpu_node"
jeq k8s_node_alone kubernetes.allocatable 8
# --context picks a context of that kubeconfig: one it lacks is named
run k8s_context 1 "${S[@]}" -- check --node "$gpu_node" --context no-such-context --root "$R"
has k8s_context err "no-such-context"
finish

#!/usr/bin/env bash
# dm-gpu where no NVIDIA driver library can be loaded (the CI machines): not ready,
# the "no driver library" diagnosis, and a valid JSON document.  The libraries are
# named by absolute paths in a folder that does not exist (DM_NVML_LIBRARY,
# DM_CUDA_LIBRARY), so the diagnosis is the same on a machine that has a driver:
# the test runs everywhere.
GPU_TEST_NAME=gpu_nodriver
. "$DM_SOURCE_DIR/tests/cli/gpu-lib.sh"

NONE=$W/no-driver
NO=(DM_NVML_LIBRARY="$NONE/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$NONE/libcuda.so.1")
run nodriver 1 "${NO[@]}" -- check
has nodriver err "dm-gpu: error: [no-library] no NVIDIA driver library: neither $NONE/libnvidia-ml.so.1 nor $NONE/libcuda.so.1 can be loaded: the driver is not installed, or not mounted into this container"
has nodriver out "not ready: 1 problem"
run nodriver_json 1 "${NO[@]}" -- check --json
jeq nodriver_json ready false
jeq nodriver_json reasons.# 1
jeq nodriver_json reasons.0.code no-library
jeq nodriver_json libraries.nvml.loaded false
jeq nodriver_json libraries.cuda.loaded false
jeq nodriver_json libraries.nvml.path "$NONE/libnvidia-ml.so.1"
jeq nodriver_json libraries.cuda.path "$NONE/libcuda.so.1"
jeq nodriver_json libraries.cuda.path_from DM_CUDA_LIBRARY
jeq nodriver_json devices '[]'
run nodriver_list 1 "${NO[@]}" -- list --json
jeq nodriver_list command list
jeq nodriver_list reasons.0.code no-library
# a Kubernetes problem is reported even when the driver is missing
run nodriver_k8s 1 "${NO[@]}" -- check --json --kubeconfig /nonexistent/kubeconfig
jeq nodriver_k8s reasons.# 2
jeq nodriver_k8s reasons.0.code no-library
jeq nodriver_k8s reasons.1.code kubernetes-node
finish

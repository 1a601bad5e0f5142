#!/usr/bin/env bash
# dm-gpu on a machine without an NVIDIA driver (the CI machines): not ready,
# the "no driver library" diagnosis, and a valid JSON document.
GPU_TEST_NAME=gpu_nodriver
. "$DM_SOURCE_DIR/tests/cli/gpu-lib.sh"

if ldconfig -p 2>/dev/null | grep -qE 'lib(nvidia-ml|cuda)\.so\.1 ' || [ -e /proc/driver/nvidia/version ]; then
  echo "this machine has an NVIDIA driver: the no-driver diagnosis cannot be shown here (skipped)"
  exit 77
fi

run nodriver 1 -- check
has nodriver out "error: [no-library] no NVIDIA driver library: neither libnvidia-ml.so.1 nor libcuda.so.1 can be loaded"
has nodriver out "not ready: 1 problem"
run nodriver_json 1 -- check --json
jeq nodriver_json ready false
jeq nodriver_json reasons.# 1
jeq nodriver_json reasons.0.code no-library
jeq nodriver_json libraries.nvml.loaded false
jeq nodriver_json libraries.cuda.path libcuda.so.1
jeq nodriver_json devices '[]'
run nodriver_list 1 -- list --json
jeq nodriver_list command list
jeq nodriver_list reasons.0.code no-library
# a Kubernetes problem is reported even when the driver is missing
run nodriver_k8s 1 -- check --json --kubeconfig /nonexistent/kubeconfig
jeq nodriver_k8s reasons.# 2
jeq nodriver_k8s reasons.0.code no-library
jeq nodriver_k8s reasons.1.code kubernetes-node
finish

#!/usr/bin/env bash
# dm-gpu given the CUDA toolkit's stub libcuda.so (lib64/stubs), as happens
# when the stubs folder is on LD_LIBRARY_PATH: CUDA error 34 is named, with
# the file and the fix.  tests/gpu.cmake passes the toolkit's stub in
# DM_CUDA_STUB; where CMake found no toolkit it is empty and the test exits 77,
# which ctest shows as skipped, with the reason below in its output.
GPU_TEST_NAME=gpu_stub
. "$DM_SOURCE_DIR/tests/cli/gpu-lib.sh"
if [ -z "${DM_CUDA_STUB:-}" ]; then
  echo "skipped: no CUDA toolkit (stubs/libcuda.so) was found when the build was configured"
  exit 77
fi
STUB=$(readlink -f "$DM_CUDA_STUB")

run stub 1 DM_NVML_LIBRARY="$W/absent/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$DM_CUDA_STUB" -- check
has stub err "dm-gpu: error: [stub-library] $STUB is the CUDA toolkit's stub library, not the driver (CUDA error 34, CUDA_ERROR_STUB_LIBRARY)"
has stub err "remove the toolkit's lib64/stubs folder from LD_LIBRARY_PATH"
run stub_json 1 DM_NVML_LIBRARY="$W/absent/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$DM_CUDA_STUB" -- check --json
jeq stub_json libraries.cuda.init_rc 34
jeq stub_json libraries.cuda.loaded true
jeq stub_json reasons.# 1
jeq stub_json reasons.0.code stub-library
# NVML answering does not hide a stub libcuda: CUDA programs would still fail.
run stub_nvml 1 DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$DM_BUILD_DIR/fakes/nvidia/current/libnvidia-ml.so.1" \
  DM_CUDA_LIBRARY="$DM_CUDA_STUB" -- check --json
jeq stub_nvml reasons.0.code stub-library
finish

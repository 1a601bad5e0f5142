#!/usr/bin/env bash
# dm-gpu against fake NVIDIA libraries (tests/fakes/nvidia): every diagnosis
# a user can meet, as exit code, the line printed and the --json document.
GPU_TEST_NAME=gpu_cli
. "$DM_SOURCE_DIR/tests/cli/gpu-lib.sh"

NVML=$FAKES/current/libnvidia-ml.so.1
CUDA=$FAKES/current/libcuda.so.1
NVML_OLD=$FAKES/legacy/libnvidia-ml.so.1
CUDA_OLD=$FAKES/legacy/libcuda.so.1
for f in "$NVML" "$CUDA" "$NVML_OLD" "$CUDA_OLD" "$JGET"; do
  [ -e "$f" ] || { echo "missing $f: build the tests first"; exit 1; }
done

# A host root: what the driver and the NVIDIA container toolkit install.
mkroot() {
  local r=$1 version=$2 n=$3 i
  mkdir -p "$r/dev" "$r/proc/driver/nvidia" "$r/usr/bin" "$r/etc/cdi"
  printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  %s  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n' \
    "$version" >"$r/proc/driver/nvidia/version"
  : >"$r/dev/nvidiactl"; : >"$r/dev/nvidia-uvm"; : >"$r/dev/nvidia-uvm-tools"
  for ((i = 0; i < n; i++)); do : >"$r/dev/nvidia$i"; done
  printf '#!/bin/sh\necho "NVIDIA Container Toolkit CLI version 1.14.6"\n' >"$r/usr/bin/nvidia-ctk"
  chmod +x "$r/usr/bin/nvidia-ctk"
  printf 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: []\n' >"$r/etc/cdi/nvidia.yaml"
}
R=$W/root; mkroot "$R" 550.54.14 8
FAKE=(DM_NVML_LIBRARY="$NVML" DM_CUDA_LIBRARY="$CUDA")

# --- 8 GPUs, one short on memory ------------------------------------------
S=(DM_FAKE_NVIDIA_SCENARIO=h100x8 "${FAKE[@]}")
run h100_list_json 0 "${S[@]}" -- list --json --root "$R"
jeq h100_list_json command list
jeq h100_list_json device_count 8
jeq h100_list_json devices.# 8
jeq h100_list_json devices.0.name "NVIDIA H100 80GB HBM3"
jeq h100_list_json devices.3.memory_free 2147483648
jeq h100_list_json devices.3.memory_total 85520809984
jeq h100_list_json devices.0.compute_capability 9.0
jeq h100_list_json devices.0.sm_count 132
jeq h100_list_json devices.0.clock_sm_max_mhz 1980
jeq h100_list_json devices.0.pci_bus_id 00000000:18:00.0
jeq h100_list_json devices.0.uuid GPU-fa4e0018-1111-2222-3333-000000000000
jeq h100_list_json devices.0.cuda_index 7   # CUDA orders them differently: matched by bus id
jeq h100_list_json devices.7.cuda_index 0
jeq h100_list_json devices.3.temperature_c 45
jeq h100_list_json devices.0.mig_enabled false
jeq h100_list_json devices.0.compute_mode default
jeq h100_list_json devices.0.persistence_mode true
jeq h100_list_json devices.0.ecc_enabled true
jeq h100_list_json devices.0.ecc_uncorrected_volatile 0
jeq h100_list_json driver.version 550.54.14
jeq h100_list_json driver.cuda_version 12.4
jeq h100_list_json driver.cuda_version_from cuDriverGetVersion
jeq h100_list_json driver.kernel_module_version 550.54.14
jeq h100_list_json driver.nvml_version 12.550.54.14
jeq h100_list_json libraries.nvml.file_version 550.54.14
jeq h100_list_json libraries.nvml.path_from DM_NVML_LIBRARY
jhas h100_list_json libraries.nvml.resolved /current/libnvidia-ml.so.550.54.14
jeq h100_list_json libraries.nvml.missing_symbols '[]'
jeq h100_list_json libraries.cuda.missing_symbols '[]'
jeq h100_list_json container_runtime.nvidia_ctk "$R/usr/bin/nvidia-ctk"
jeq h100_list_json container_runtime.cdi_specs.0 "$R/etc/cdi/nvidia.yaml"
jeq h100_list_json device_nodes.# 11
jeq h100_list_json reasons '[]'
jeq h100_list_json ready true

run h100_list 0 "${S[@]}" -- --root "$R"
has h100_list out "NVIDIA H100 80GB HBM3"
has h100_list out "2.0/79.6"
has h100_list out "ready: 8 of 8 GPUs"

run h100_minmem 1 "${S[@]}" -- check --cuda 12.0 --min-memory 8GiB --root "$R"
has h100_minmem out "not ready: 1 problem"
has h100_minmem err "dm-gpu: error: [low-memory] GPU 3 (NVIDIA H100 80GB HBM3) has 2.0 GiB free, below --min-memory 8.0 GiB"
run h100_minmem_json 1 "${S[@]}" -- check --cuda 12.0 --min-memory 8GiB --json --root "$R"
jeq h100_minmem_json ready false
jeq h100_minmem_json ready_devices 7
jeq h100_minmem_json reasons.# 1
jeq h100_minmem_json reasons.0.code low-memory
jeq h100_minmem_json reasons.0.severity error
jeq h100_minmem_json reasons.0.device 3
jeq h100_minmem_json requirements.min_memory 8589934592
jeq h100_minmem_json requirements.min_driver 525.60.13

run h100_cuda12 0 "${S[@]}" -- check --cuda 12.0 --min-memory 1GiB --root "$R"
has h100_cuda12 out "ready: 8 of 8 GPUs (CUDA 12.0 from --cuda, full support from driver 525.60.13)"

# the image table
run h100_image 0 "${S[@]}" -- check --image pydl_gpu_env --json --root "$R"
jeq h100_image requirements.cuda 12.1
jeq h100_image requirements.cuda_from --image
jeq h100_image requirements.image.name pydl_gpu_env
jeq h100_image requirements.min_driver 530.30.02
jeq h100_image requirements.min_compute_capability 5.0
# the original Data-Mill's image of that name (Docker Hub's datamillcloud) is CUDA 9.0
run h100_image_orig 0 "${S[@]}" -- check --image docker.io/datamillcloud/pydl_gpu_env:0.1 --json --root "$R"
jeq h100_image_orig requirements.cuda 9.0
jeq h100_image_orig requirements.image.name data-mill-0.x-pydl_gpu_env
jeq h100_image_orig requirements.min_compute_capability 3.5
run h100_image_ref 0 "${S[@]}" -- check --image gcr.io/kubeflow-images-public/tensorflow-1.10.1-notebook-gpu:v0.4.0 --json --root "$R"
jeq h100_image_ref requirements.cuda 9.0
# the GPU flavour's notebook image (flavours/gpu_flavour), known with its CUDA 12.1 wheels
run h100_image_pytorch 0 "${S[@]}" -- check --image quay.io/jupyter/pytorch-notebook:cuda12-python-3.11 --json --root "$R"
jeq h100_image_pytorch requirements.cuda 12.1
jeq h100_image_pytorch requirements.image.name jupyter-pytorch-notebook-cuda12-python-3.11
jeq h100_image_pytorch requirements.min_driver 530.30.02
run h100_image_tag 0 "${S[@]}" -- check --image nvidia/cuda:12.8.0-base-ubuntu22.04 --root "$R"
has h100_image_tag err "dm-gpu: warning: [minor-version-compat] driver 550.54.14 supports CUDA 12.4, below the 12.8 asked for"
has h100_image_tag err "install driver 570.26 or newer"
run r470_image_tag 1 DM_FAKE_NVIDIA_SCENARIO=r470 "${FAKE[@]}" -- check --image nvidia/cuda:12.4.1-base-ubuntu22.04 --root "$R"
has r470_image_tag err "CUDA 12.4 needs driver 550.54.14 or newer"
run h100_image_unknown 2 "${S[@]}" -- check --image no/such:image --root "$R"
has h100_image_unknown err "unknown image 'no/such:image' (known: data-mill-0.x-pydl_gpu_env, pydl_gpu_env,"

# --smoke: through the CUDA runtime where this build has it.  The fake driver
# cannot run kernels, so here it must fail on every GPU, each named.
run h100_smoke 1 "${S[@]}" -- check --smoke --json --root "$R"
if [ "$("$JGET" "$W/h100_smoke.out" smoke.built)" = true ]; then
  jeq h100_smoke smoke.results.# 8
  jeq h100_smoke smoke.results.0.ok false
  jeq h100_smoke reasons.0.code smoke-failed
  jeq h100_smoke reasons.# 8
  # the fake driver says CUDA 12.4; a runtime newer than that cannot start
  if [ "$("$JGET" "$W/h100_smoke.out" smoke.results.0.runtime_version)" -gt 12040 ]; then
    jhas h100_smoke reasons.0.message "newer than the driver's 12.4: rebuild it with an older toolkit"
  fi
else
  jeq h100_smoke reasons.0.code smoke-unavailable
  jhas h100_smoke reasons.0.message "built without the CUDA toolkit"
fi

# --- no device --------------------------------------------------------------
run none 1 DM_FAKE_NVIDIA_SCENARIO=none "${FAKE[@]}" -- check --root "$R"
has none err "dm-gpu: error: [no-device] no CUDA-capable device found (CUDA error 100, CUDA_ERROR_NO_DEVICE)"
run none_json 1 DM_FAKE_NVIDIA_SCENARIO=none "${FAKE[@]}" -- check --json --root "$R"
jeq none_json device_count 0
jeq none_json counts.nvml 0
jeq none_json libraries.cuda.init_rc 100

# --- driver too old ---------------------------------------------------------
run r375_cuda9 1 DM_FAKE_NVIDIA_SCENARIO=r375 "${FAKE[@]}" -- check --cuda 9.0 --root "$R"
has r375_cuda9 err "dm-gpu: error: [driver-too-old] driver 375.26 supports CUDA 8.0, but CUDA 9.0 needs driver 384.81 or newer"
run r375_pydl 1 DM_FAKE_NVIDIA_SCENARIO=r375 "${FAKE[@]}" -- check --image pydl_gpu_env --root "$R"
has r375_pydl err "CUDA 12.1 needs driver 530.30.02 or newer"
run r470_cuda12 1 DM_FAKE_NVIDIA_SCENARIO=r470 "${FAKE[@]}" -- check --cuda 12.0 --root "$R"
has r470_cuda12 err "dm-gpu: error: [driver-too-old] driver 470.57.02 supports CUDA 11.4, but CUDA 12.0 needs driver 525.60.13 or newer"

# --- minor-version compatibility -------------------------------------------
run r450_cuda118 0 DM_FAKE_NVIDIA_SCENARIO=r450 "${FAKE[@]}" -- check --cuda 11.8 --root "$R"
has r450_cuda118 out "ready: 1 of 1 GPUs, 1 warning"
has r450_cuda118 err "dm-gpu: warning: [minor-version-compat] driver 450.80.02 supports CUDA 11.0, below the 11.8 asked for"
has r450_cuda118 err "install driver 520.61.05 or newer"
run r450_cuda118_json 0 DM_FAKE_NVIDIA_SCENARIO=r450 "${FAKE[@]}" -- check --cuda 11.8 --json --root "$R"
jeq r450_cuda118_json requirements.minor_version_compat true
jeq r450_cuda118_json reasons.0.severity warning
run r470_cuda118 0 DM_FAKE_NVIDIA_SCENARIO=r470 "${FAKE[@]}" -- check --cuda 11.8 --root "$R"
has r470_cuda118 err "[minor-version-compat]"

# --- compute capability below the toolkit's floor --------------------------
run k520 1 DM_FAKE_NVIDIA_SCENARIO=k520 "${FAKE[@]}" -- check --cuda 11.0 --root "$R"
has k520 err "dm-gpu: error: [cc-too-low] GPU 0 (GRID K520) has compute capability 3.0, below the 3.5 that the CUDA version asked for needs"
run k520_mincc 1 DM_FAKE_NVIDIA_SCENARIO=r470 "${FAKE[@]}" -- check --min-cc 9.0 --root "$R"
has k520_mincc err "has compute capability 8.0, below --min-cc 9.0"

# --- MIG, compute mode, ECC -------------------------------------------------
run mig 1 DM_FAKE_NVIDIA_SCENARIO=mig "${FAKE[@]}" -- check --cuda 12.0 --json --root "$R"
jeq mig reasons.0.code mig-enabled
jeq mig reasons.0.device 0
jeq mig ready_devices 1
jeq mig devices.0.mig_enabled true
jhas mig reasons.0.message "nvidia-smi -i 0 -mig 0"
run prohibited 1 DM_FAKE_NVIDIA_SCENARIO=prohibited "${FAKE[@]}" -- check --root "$R"
has prohibited err "dm-gpu: error: [compute-prohibited] GPU 1 (Tesla V100-SXM2-16GB) is in compute mode Prohibited"
has prohibited err "nvidia-smi -i 1 -c DEFAULT"
run ecc 1 DM_FAKE_NVIDIA_SCENARIO=ecc "${FAKE[@]}" -- check --root "$R"
has ecc err "dm-gpu: error: [ecc-errors] GPU 0 (Tesla T4) has 3 uncorrected ECC errors since the driver loaded"

# --- an old driver: missing optional symbols degrade fields, not the run ---
OLD=(DM_FAKE_NVIDIA_SCENARIO=r384 DM_NVML_LIBRARY="$NVML_OLD" DM_CUDA_LIBRARY="$CUDA_OLD")
run legacy 0 "${OLD[@]}" -- check --cuda 9.0 --json --root "$R"
jhas legacy libraries.nvml.missing_symbols nvmlDeviceGetMigMode
jhas legacy libraries.nvml.missing_symbols nvmlSystemGetCudaDriverVersion_v2
jhas legacy libraries.cuda.missing_symbols cuDeviceGetUuid_v2
jeq legacy libraries.nvml.file_version 384.81
jeq legacy devices.0.mig_enabled null
jeq legacy devices.0.compute_capability 6.0        # from cuDeviceGetAttribute
jeq legacy devices.0.memory_total 17179869184      # from nvmlDeviceGetMemoryInfo (v1)
jeq legacy devices.0.pci_bus_id 00000000:82:00.0   # from nvmlPciInfo_t v1
jeq legacy devices.0.uuid GPU-fa4e0082-1111-2222-3333-000000000000
jeq legacy driver.cuda_version 9.0
jeq legacy ready true
run legacy_cuda_only 0 DM_FAKE_NVIDIA_SCENARIO=r384 DM_NVML_LIBRARY="$W/absent/libnvidia-ml.so.1" \
  DM_CUDA_LIBRARY="$CUDA_OLD" -- check --cuda 9.0 --json --root "$R"
jeq legacy_cuda_only devices.0.uuid null
jeq legacy_cuda_only devices.0.name "Tesla P100-PCIE-16GB"
jeq legacy_cuda_only devices.0.memory_free 16106127360   # through a primary context
jeq legacy_cuda_only reasons.0.code no-nvml
jeq legacy_cuda_only reasons.0.severity warning

# --- library and kernel module disagree -------------------------------------
R2=$W/root-535; mkroot "$R2" 535.54.03 0
run mismatch 1 DM_FAKE_NVIDIA_SCENARIO=mismatch "${FAKE[@]}" -- check --root "$R2"
has mismatch err "dm-gpu: error: [version-mismatch] driver library 550.54.14 does not match the loaded kernel module 535.54.03 (NVML error 18): reboot, or reload the module"

# --- permissions, module not loaded, no library ---------------------------
run noperm 1 DM_FAKE_NVIDIA_SCENARIO=noperm "${FAKE[@]}" -- check --root "$R"
has noperm err "dm-gpu: error: [no-permission] no permission to open the GPU device nodes (NVML error 4, NVML_ERROR_NO_PERMISSION)"
run notloaded 1 DM_FAKE_NVIDIA_SCENARIO=notloaded "${FAKE[@]}" -- check --root "$R"
has notloaded err "dm-gpu: error: [driver-not-loaded] the NVIDIA kernel module is not loaded (NVML error 9"
run nolib 1 DM_NVML_LIBRARY="$W/absent/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$W/absent/libcuda.so.1" -- check --json --root "$R"
jeq nolib reasons.0.code no-library
jhas nolib reasons.0.message "$W/absent/libcuda.so.1"
jhas nolib libraries.cuda.load_error "No such file or directory"
run nocuda 1 DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$NVML" DM_CUDA_LIBRARY="$W/absent/libcuda.so.1" -- check --root "$R"
has nocuda err "dm-gpu: error: [no-cuda-library] NVML works but $W/absent/libcuda.so.1 cannot be loaded"
run relative 2 DM_NVML_LIBRARY=libnvidia-ml.so.1 -- check
has relative err "DM_NVML_LIBRARY must be an absolute path to libnvidia-ml.so.1, not 'libnvidia-ml.so.1'"

# --- device nodes and container runtime -------------------------------------
R3=$W/root-nouvm; mkroot "$R3" 550.54.14 8; rm "$R3/dev/nvidia-uvm" "$R3/dev/nvidia5"
run nouvm 1 "${S[@]}" -- check --root "$R3"
has nouvm err "dm-gpu: error: [missing-device-node] $R3/dev/nvidia-uvm is missing"
has nouvm err "dm-gpu: error: [missing-device-node] $R3/dev/nvidia5 is missing"
R4=$W/root-noctk; mkroot "$R4" 550.54.14 8; rm "$R4/usr/bin/nvidia-ctk" "$R4/etc/cdi/nvidia.yaml"
run noctk 0 "${S[@]}" -- check --root "$R4"
has noctk err "dm-gpu: warning: [no-container-runtime] no NVIDIA container runtime found"

# --- usage ------------------------------------------------------------------
run usage_cmd 2 -- frobnicate
usage_is usage_cmd "dm-gpu: error: unknown command 'frobnicate' (expected list or check)"
run usage_cuda 2 -- check --cuda twelve
usage_is usage_cuda "dm-gpu: error: --cuda: invalid version 'twelve' (expected X.Y, e.g. 12.0)"
run usage_list_cuda 2 -- list --cuda 9.0
usage_is usage_list_cuda "dm-gpu: error: --cuda, --image, --min-memory, --min-cc and --smoke belong to 'check'"
run usage_opt 2 -- check --bogus
usage_is usage_opt "dm-gpu: error: unknown option '--bogus'"
run usage_size 2 -- check --min-memory lots
usage_is usage_size "dm-gpu: error: --min-memory: invalid size 'lots' (use e.g. 512, 64k, 8MiB, 1G)"
run help 0 -- --help
has help out "0 ready, 1 not ready (the reasons are listed), 2 usage"
has help out "DM_NVML_LIBRARY"

finish

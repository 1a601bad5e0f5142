# dm-gpu: unit tests of the rules and the image table, and whole-tool runs
# against fake NVIDIA libraries (no GPU or driver on the CI machines).
#
# The fakes are real shared libraries with the driver's SONAMEs
# (libnvidia-ml.so.1, libcuda.so.1) and the file names of a driver install
# (libnvidia-ml.so.550.54.14 ...); the tests hand their absolute paths to
# dm-gpu through DM_NVML_LIBRARY / DM_CUDA_LIBRARY and pick the machine they
# imitate with DM_FAKE_NVIDIA_SCENARIO.  The legacy builds are R384-era
# libraries that lack the newer entry points.
set(DM_FAKE_NV_SRC ${CMAKE_SOURCE_DIR}/tests/fakes/nvidia)
set(DM_FAKE_NV_OUT ${CMAKE_BINARY_DIR}/fakes/nvidia)

function(dm_fake_nvidia target src output version subdir)
  add_library(${target} SHARED ${DM_FAKE_NV_SRC}/${src})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${output} VERSION ${version} SOVERSION 1
    LIBRARY_OUTPUT_DIRECTORY ${DM_FAKE_NV_OUT}/${subdir}
    C_VISIBILITY_PRESET hidden)
  if(subdir STREQUAL "legacy")
    target_compile_definitions(${target} PRIVATE FAKE_LEGACY)
  endif()
endfunction()

dm_fake_nvidia(dm_fake_nvml fake_nvml.c nvidia-ml 550.54.14 current)
dm_fake_nvidia(dm_fake_cuda fake_cuda.c cuda 550.54.14 current)
dm_fake_nvidia(dm_fake_nvml_legacy fake_nvml.c nvidia-ml 384.81 legacy)
dm_fake_nvidia(dm_fake_cuda_legacy fake_cuda.c cuda 384.81 legacy)

add_executable(dm_gpu_jget ${DM_FAKE_NV_SRC}/jget.c)
target_link_libraries(dm_gpu_jget PRIVATE PkgConfig::JANSSON)
set_target_properties(dm_gpu_jget PROPERTIES OUTPUT_NAME jget RUNTIME_OUTPUT_DIRECTORY ${DM_FAKE_NV_OUT})

dm_unit_test(test_gpu ${CMAKE_SOURCE_DIR}/tests/unit/test_gpu.c)

# Whole-tool runs.  The scripts find the fakes and jget under
# $DM_BUILD_DIR/fakes/nvidia; they are built with the tests (ALL).
dm_cli_test(gpu_cli ${CMAKE_SOURCE_DIR}/tests/cli/gpu.sh LABELS unit TIMEOUT 120)
dm_cli_test(gpu_nodriver ${CMAKE_SOURCE_DIR}/tests/cli/gpu_nodriver.sh LABELS unit TIMEOUT 60)

# The CUDA toolkit's own stub libcuda.so (lib64/stubs) answers every call with
# CUDA_ERROR_STUB_LIBRARY (34).  The test is always registered; where no
# toolkit is installed it prints why and exits 77, which ctest shows as
# skipped (and make check counts), rather than passing without having run.
find_package(CUDAToolkit QUIET)
set(DM_CUDA_STUB "")
if(CUDAToolkit_FOUND)
  foreach(d ${CUDAToolkit_LIBRARY_DIR}/stubs ${CUDAToolkit_TARGET_DIR}/lib/stubs ${CUDAToolkit_TARGET_DIR}/lib64/stubs)
    if(NOT DM_CUDA_STUB AND EXISTS ${d}/libcuda.so)
      get_filename_component(DM_CUDA_STUB ${d}/libcuda.so ABSOLUTE)
    endif()
  endforeach()
endif()
dm_cli_test(gpu_toolkit_stub ${CMAKE_SOURCE_DIR}/tests/cli/gpu_stub.sh LABELS unit TIMEOUT 60)
set_property(TEST gpu_toolkit_stub APPEND PROPERTY ENVIRONMENT "DM_CUDA_STUB=${DM_CUDA_STUB}")
set_tests_properties(gpu_toolkit_stub PROPERTIES SKIP_RETURN_CODE 77)
if(DM_CUDA_STUB)
  message(STATUS "dm-gpu tests: toolkit stub test uses ${DM_CUDA_STUB}")
else()
  message(STATUS "dm-gpu tests: no CUDA toolkit stub libcuda.so found; gpu_toolkit_stub will show as skipped")
endif()

# --kubeconfig against the real API server of the test bed (tests/k8s.cmake).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/k8s.cmake)
  dm_cli_test(gpu_k8s ${CMAKE_SOURCE_DIR}/tests/cli/gpu_k8s.sh FIXTURES k8s LABELS integration TIMEOUT 120)
  # its GPU node would change what cli_helm_gpu and cli_cluster_* see: one lock (tests/cluster.cmake)
  set_tests_properties(gpu_k8s PROPERTIES RESOURCE_LOCK k8s_nodes)
endif()

# tests/gpu-validate.sh builds dm-gpu alone (tools/dm-gpu/standalone) on GPU machines that lack
# dm's other build dependencies: that build must keep linking as libdm changes, and the tool it
# makes must answer like this build's.  (The plain build checks it; the sanitizer build would
# only build the same sources again.)
if(NOT DM_SANITIZE)
add_test(NAME gpu_standalone_build
  COMMAND bash -c "rm -rf \"$1\" && cmake -S \"$0/tools/dm-gpu/standalone\" -B \"$1\" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build \"$1\" -j2 >\"$1.log\" 2>&1 || { tail -20 \"$1.log\"; exit 1; }; [ \"$(\"$1/bin/dm-gpu\" --version)\" = \"$(\"$2/dm-gpu\" --version)\" ] || { echo 'standalone dm-gpu --version differs'; exit 1; }; rm -rf \"$1\" \"$1.log\""
    ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gpu-standalone ${CMAKE_BINARY_DIR}/bin)
set_tests_properties(gpu_standalone_build PROPERTIES LABELS unit TIMEOUT 300)
endif()

# tests/fuzz/targets.cmake - the list of fuzz targets, shared by the libFuzzer
# build (tests/fuzz/CMakeLists.txt) and the replay tests (tests/fuzz.cmake).
# Sets DM_FUZZ_TARGETS; DM_FUZZ_DIR must point at tests/fuzz.
set(DM_FUZZ_TARGETS yaml alias s3_xml sigv4 kubeconfig k8s_json)
get_filename_component(_dm_fuzz_root ${DM_FUZZ_DIR}/../.. ABSOLUTE)
# the platform loaders are fuzzed once their contract is in the tree
if(EXISTS ${_dm_fuzz_root}/include/dm/platform.h)
  list(APPEND DM_FUZZ_TARGETS flavour component)
endif()
if(EXISTS ${_dm_fuzz_root}/include/dm/target.h)
  list(APPEND DM_FUZZ_TARGETS target)
endif()

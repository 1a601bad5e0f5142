# tests/fuzz/targets.cmake - the list of fuzz targets, shared by the libFuzzer
# build (tests/fuzz/CMakeLists.txt) and the replay tests (tests/fuzz.cmake).
# Sets DM_FUZZ_TARGETS; DM_FUZZ_DIR must point at tests/fuzz.
set(DM_FUZZ_TARGETS yaml alias s3_xml sigv4 kubeconfig k8s_json)
get_filename_component(_dm_fuzz_root ${DM_FUZZ_DIR}/../.. ABSOLUTE)

# A loader is fuzzed once its header and its implementation are in the tree.
function(_dm_fuzz_have out header func)
  set(${out} FALSE PARENT_SCOPE)
  if(NOT EXISTS ${_dm_fuzz_root}/include/dm/${header})
    return()
  endif()
  file(GLOB_RECURSE srcs ${_dm_fuzz_root}/libdm/*.c)
  foreach(s ${srcs})
    file(STRINGS ${s} hit REGEX "^dm_err ${func}\\(")
    if(hit)
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

_dm_fuzz_have(_have_flavour platform.h dm_flavour_load)
_dm_fuzz_have(_have_platform platform.h dm_platform_load)
if(_have_flavour AND _have_platform)
  list(APPEND DM_FUZZ_TARGETS flavour component)
endif()
_dm_fuzz_have(_have_target target.h dm_target_load_node)
if(_have_target)
  list(APPEND DM_FUZZ_TARGETS target)
endif()

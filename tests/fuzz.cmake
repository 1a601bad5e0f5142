# Fuzzing (tests/fuzz/): the libFuzzer targets build with clang in a project of
# their own (tests/fuzz/run.sh, `make fuzz`).  Here, in the normal builds:
#  - test_fuzz_regressions: every input the fuzzers found, with what a user
#    must see instead (cmocka);
#  - fuzz_replay_<target>: the same target sources built with this compiler
#    against tests/fuzz/replay.c, run over the seed corpus and the saved
#    findings, so the plain and sanitizer builds check them too.
dm_unit_test(test_fuzz_regressions ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_fuzz_regressions.c)

set(DM_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
include(${DM_FUZZ_DIR}/targets.cmake)
foreach(t ${DM_FUZZ_TARGETS})
  add_executable(fuzz_replay_${t} ${DM_FUZZ_DIR}/fuzz_${t}.c ${DM_FUZZ_DIR}/replay.c)
  target_link_libraries(fuzz_replay_${t} PRIVATE dm)
  target_include_directories(fuzz_replay_${t} PRIVATE ${CMAKE_SOURCE_DIR}/libdm)
  set(inputs ${DM_FUZZ_DIR}/corpus/${t})
  if(EXISTS ${DM_FUZZ_DIR}/regressions/${t})
    list(APPEND inputs ${DM_FUZZ_DIR}/regressions/${t})
  endif()
  add_test(NAME fuzz_replay_${t} COMMAND fuzz_replay_${t} ${inputs})
  set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()

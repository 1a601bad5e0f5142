# The Kubernetes test bed: one real etcd + kube-apiserver per test run, shared through the ctest
# fixture "k8s".  Tests that need it use FIXTURES k8s and source ${DM_TEST_WORK}/k8s/env.
add_test(NAME k8s_server_up
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/servers/k8s-up.sh ${DM_TEST_WORK}/k8s)
# the first run on a machine builds kube-apiserver (scripts/k8s-tools.sh): minutes, not seconds
set_tests_properties(k8s_server_up PROPERTIES FIXTURES_SETUP k8s LABELS integration TIMEOUT 1800)
add_test(NAME k8s_server_down
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/servers/k8s-down.sh ${DM_TEST_WORK}/k8s)
set_tests_properties(k8s_server_down PROPERTIES FIXTURES_CLEANUP k8s LABELS integration TIMEOUT 60)

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/unit/test_k8s.c)
  dm_unit_test(test_k8s ${CMAKE_SOURCE_DIR}/tests/unit/test_k8s.c)
endif()

file(GLOB DM_K8S_CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli/secrets*.sh)
foreach(t ${DM_K8S_CLI_TESTS})
  get_filename_component(n ${t} NAME_WE)
  string(REPLACE "-" "_" n ${n})
  # the pipeline and endpoints tests also seed the test RGW (fixture "s3")
  if(n MATCHES "pipeline|endpoints")
    dm_cli_test(cli_${n} ${t} FIXTURES k8s s3 LABELS integration)
  else()
    dm_cli_test(cli_${n} ${t} FIXTURES k8s LABELS integration)
  endif()
endforeach()

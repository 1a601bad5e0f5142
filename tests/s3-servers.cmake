# The test S3 server (Ceph RADOS Gateway on a memstore OSD, see tests/servers/README.md).
# One server per ctest run, shared by every test that says FIXTURES s3 (plain http)
# or FIXTURES s3tls (http and https with a test CA); a test sources
# $DM_TEST_WORK/s3/env or $DM_TEST_WORK/s3tls/env to find it.
set(DM_S3_SERVERS ${CMAKE_CURRENT_SOURCE_DIR}/servers)

# dm_s3_fixture(FIXTURE [s3-up.sh options...]): tests FIXTURE_server_up / _down
function(dm_s3_fixture fixture)
  set(dir ${DM_TEST_WORK}/${fixture})
  add_test(NAME ${fixture}_server_up COMMAND bash ${DM_S3_SERVERS}/s3-up.sh ${dir} ${ARGN})
  add_test(NAME ${fixture}_server_down COMMAND bash ${DM_S3_SERVERS}/s3-down.sh ${dir})
  set_tests_properties(${fixture}_server_up PROPERTIES
    FIXTURES_SETUP ${fixture} LABELS integration TIMEOUT 120)
  set_tests_properties(${fixture}_server_down PROPERTIES
    FIXTURES_CLEANUP ${fixture} LABELS integration TIMEOUT 60)
endfunction()

dm_s3_fixture(s3)
dm_s3_fixture(s3tls --tls)

dm_cli_test(s3_server_smoke ${DM_S3_SERVERS}/s3-smoke.sh FIXTURES s3 TIMEOUT 120)
dm_cli_test(s3_server_smoke_tls ${DM_S3_SERVERS}/s3-smoke-tls.sh FIXTURES s3tls TIMEOUT 120)

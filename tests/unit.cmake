# Unit tests (cmocka), one executable per module: tests/unit/test_<module>.c.
# dm_unit_test() (tests/CMakeLists.txt) labels them "unit" and gives them DM_SOURCE_DIR.
dm_unit_test(test_sigv4 ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_sigv4.c)
dm_unit_test(test_s3_xml ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_s3_xml.c)
dm_unit_test(test_s3_rules ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_s3_rules.c)
# an object's Content-Type from its file's name (/etc/mime.types, else the built-in table)
dm_unit_test(test_s3_mime ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_s3_mime.c)
dm_unit_test(test_util ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_util.c)
dm_unit_test(test_md5x ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_md5x.c)
# the same digests through the fallback (OpenSSL one message at a time)
add_test(NAME test_md5x_scalar COMMAND test_md5x)
set_tests_properties(test_md5x_scalar PROPERTIES LABELS unit ENVIRONMENT "DM_MD5_SCALAR=1;DM_MD5_EXPECT_LANES=1")
dm_unit_test(test_yaml ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_yaml.c)
dm_unit_test(test_alias ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_alias.c)
dm_unit_test(test_walk ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_walk.c)
# dm-seed's plan: the walk x listing merge and the --delete rule, no server
dm_unit_test(test_seed_plan ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_seed_plan.c)
dm_unit_test(test_seed_job ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_seed_job.c)
# where a component's keys are (dm_component_credentials, dm-secrets and dm-seed --k8s-job)
dm_unit_test(test_credentials ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_credentials.c)
# where the platform is (--root, $DM_HOME, .dm-platform, the share folder) and which flavour
dm_unit_test(test_platform_root ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_platform_root.c)
target_compile_definitions(test_platform_root PRIVATE DM_SHARE_DIR="${CMAKE_INSTALL_FULL_DATADIR}/dm")
# the current target: what dm-cluster start records, and how the tools choose their cluster
dm_unit_test(test_k8s_current ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_k8s_current.c)
# the target loader (k8s/configs/*.yaml, a flavour's local:/remote:): its endpoints
dm_unit_test(test_target ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_target.c)
# the tools' option tables (tools/common/options.c): parsing and --help
dm_unit_test(test_cli_options ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_cli_options.c)
target_link_libraries(test_cli_options PRIVATE dmcli)
# remedy hints: libdm records which remedy applies, the tools' one table words it (tools/common/hints.c)
dm_unit_test(test_err_hint ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_err_hint.c)
target_link_libraries(test_err_hint PRIVATE dmcli)

# Hardening of dm-seed and the S3 client (issue: injected faults, TLS, files
# changing under the upload, secrets, valgrind).  See docs/hardening.md.
# Each test prints a "figures:" line with what it injected and verified.
set(DM_HARD ${CMAKE_CURRENT_SOURCE_DIR}/cli)
# the parser behind the clean-up of uploads left by a retried initiate
dm_unit_test(test_hard_xml ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_hard_xml.c)
# boots its own RGW (it kills radosgw); the shared fixture only for seed-lib.sh
dm_cli_test(hard_rgw_kill ${DM_HARD}/hard-rgw-kill.sh FIXTURES s3 TIMEOUT 300)
dm_cli_test(hard_faults ${DM_HARD}/hard-faults.sh FIXTURES s3 TIMEOUT 300)
# bits flipped in transit: request bodies (BadDigest, retried), replies (listing, ETags)
dm_cli_test(hard_corrupt ${DM_HARD}/hard-corrupt.sh FIXTURES s3 TIMEOUT 600)
dm_cli_test(hard_changing ${DM_HARD}/hard-changing.sh FIXTURES s3 TIMEOUT 300)
dm_cli_test(hard_tls ${DM_HARD}/hard-tls.sh FIXTURES s3 s3tls TIMEOUT 300)
dm_cli_test(hard_secrets ${DM_HARD}/hard-secrets.sh FIXTURES s3 s3tls TIMEOUT 300)
# memcheck cannot run a sanitizer build (ASan owns the allocator): plain build only
if(NOT DM_SANITIZE)
  dm_cli_test(hard_valgrind ${DM_HARD}/hard-valgrind.sh FIXTURES s3 s3tls LABELS integration slow TIMEOUT 400)
endif()

# The bad-input matrix of docs/hardening.md ("Bad-input matrix") and the secrets sweep
# ("Secrets").  Each matrix script checks its cases (exit code, the one line a user sees,
# nothing half-written) and that docs/hardening.md, written by hand, has exactly the rows its
# cases expect; what the tools printed stays in ${DM_TEST_WORK}/matrix/ for review with
# tests/cli/matrix-doc.sh.
set(DM_MATRIX ${CMAKE_CURRENT_SOURCE_DIR}/cli)
dm_cli_test(matrix_local ${DM_MATRIX}/matrix-local.sh LABELS integration TIMEOUT 120)
dm_cli_test(matrix_s3 ${DM_MATRIX}/matrix-s3.sh FIXTURES s3 LABELS integration TIMEOUT 120)
dm_cli_test(matrix_k8s ${DM_MATRIX}/matrix-k8s.sh FIXTURES k8s LABELS integration TIMEOUT 180)
# --delete: hostile listings (tests/cli/hostile-s3.py) and unreadable folders against the RGW
dm_cli_test(matrix_delete ${DM_MATRIX}/matrix-delete.sh FIXTURES s3 LABELS integration TIMEOUT 600)
# dm-helm: --delete-namespace, values files outside, interrupts, set values (fixture k8s)
dm_cli_test(matrix_helm ${DM_MATRIX}/matrix-helm.sh FIXTURES k8s LABELS integration TIMEOUT 300)
dm_cli_test(matrix_alias ${DM_MATRIX}/matrix-alias.sh LABELS integration TIMEOUT 120)
# two drips of about a minute each: the bounds are measured as they are, not shortened
dm_cli_test(matrix_bounds ${DM_MATRIX}/matrix-bounds.sh FIXTURES s3 LABELS integration slow TIMEOUT 600)

# tests/k8s.cmake registers every tests/cli/secrets*.sh with the fixture k8s alone (it is
# included first); the sweep also seeds the RGW, so it needs the fixture s3 as well.
if(TEST cli_secrets_sweep)
  set_tests_properties(cli_secrets_sweep PROPERTIES FIXTURES_REQUIRED "k8s;s3" TIMEOUT 300)
else()
  dm_cli_test(cli_secrets_sweep ${DM_MATRIX}/secrets-sweep.sh FIXTURES k8s s3 LABELS integration TIMEOUT 300)
endif()

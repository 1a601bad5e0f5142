# dm-helm and the platform model (issue: flavours and components installed with Helm 3).
dm_unit_test(test_platform ${CMAKE_SOURCE_DIR}/tests/unit/test_platform.c)
# the reference language: ${...} read into tokens, checked and expanded (libdm/platform/ref.c)
dm_unit_test(test_platform_refs ${CMAKE_SOURCE_DIR}/tests/unit/test_platform_refs.c)

# no cluster: plans, dry runs, usage and configuration errors of the tool
dm_cli_test(cli_helm_plan ${CMAKE_SOURCE_DIR}/tests/cli/helm-plan.sh LABELS unit TIMEOUT 120)
# the real API server of the test bed, real helm and kubectl, the fixture charts
dm_cli_test(cli_helm_k8s ${CMAKE_SOURCE_DIR}/tests/cli/helm-k8s.sh FIXTURES k8s LABELS integration TIMEOUT 600)
# the shipped MLflow chart passes helm's own linter (helm from the test bed's tools)
dm_cli_test(cli_helm_lint ${CMAKE_SOURCE_DIR}/tests/cli/helm-lint.sh FIXTURES k8s LABELS integration TIMEOUT 120)
# install's GPU check (requires: gpu) against nodes registered on the test bed's API server;
# gpu_k8s and cli_cluster_* register nodes too: one at a time (RESOURCE_LOCK k8s_nodes)
dm_cli_test(cli_helm_gpu ${CMAKE_SOURCE_DIR}/tests/cli/helm-gpu.sh FIXTURES k8s LABELS integration TIMEOUT 300)
set_tests_properties(cli_helm_gpu PROPERTIES RESOURCE_LOCK k8s_nodes)
# dm-helm images offline: the fixture charts rendered with helm template (helm from the test bed's tools)
dm_cli_test(cli_helm_images ${CMAKE_SOURCE_DIR}/tests/cli/helm-images.sh FIXTURES k8s LABELS integration TIMEOUT 120)
# what install, uninstall and status show while they work: a line per component as it starts and
# ends (-q, --ndjson), status queried 8 at a time with one row per component (test bed, real helm)
dm_cli_test(cli_helm_progress ${CMAKE_SOURCE_DIR}/tests/cli/helm-progress.sh FIXTURES k8s LABELS integration TIMEOUT 300)

# The platform's content (components/, flavours/, helm-charts/, images/), checked without network
# or cluster by tests/cli/content-check.py against what dm-helm plans for every shipped flavour.
# content_crds validates the operators' instances (manifest components) against their operators'
# CRDs (vendored under tests/fixtures/crds with their source, or in a vendored chart).
# The JSON Schema validator (python3-jsonschema) is required: without it content_schemas and
# content_crds FAIL.
foreach(check schemas images hosts crds gpu docs)
  add_test(NAME content_${check}
    COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/cli/content-check.py ${check})
  set_tests_properties(content_${check} PROPERTIES LABELS unit TIMEOUT 120
    ENVIRONMENT "DM_SOURCE_DIR=${CMAKE_SOURCE_DIR};DM_BIN=${CMAKE_BINARY_DIR}/bin")
endforeach()
# each check fails, naming component, file and reason, on tests/fixtures/content-bad; the
# schema check exits 2 when the validator cannot be imported
dm_cli_test(content_check_fails ${CMAKE_SOURCE_DIR}/tests/cli/content-fixtures.sh LABELS unit TIMEOUT 120)
# the local charts (helm-charts/druid-operator, helm-charts/mlflow) rendered with the components'
# values, and the druid-cluster manifests, dry-run on the test bed's real API server with the Druid
# operator's CRDs created there
dm_cli_test(content_k8s ${CMAKE_SOURCE_DIR}/tests/cli/content-k8s.sh FIXTURES k8s LABELS integration TIMEOUT 300)
# the shipped GPU flavour on the test bed (no GPU nodes): dm-helm install is refused with dm-gpu's
# diagnosis for jupyterhub (pydl_gpu_env) and dask, nothing made; --skip-gpu-check goes on to minio
dm_cli_test(content_gpu_gate ${CMAKE_SOURCE_DIR}/tests/cli/content-gpu.sh FIXTURES k8s LABELS integration TIMEOUT 300)
# it registers nodes on the test bed and reads every node's GPU: one at a time with the other
# tests that register nodes there (RESOURCE_LOCK k8s_nodes, tests/cluster.cmake)
set_tests_properties(content_gpu_gate PROPERTIES RESOURCE_LOCK k8s_nodes)

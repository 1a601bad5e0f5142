# The process runner (libdm/proc.c) and dm-cluster: unit tests, and whole-tool
# runs against the minikube/microk8s fakes (tests/fakes/) and the real API
# server of the test bed (fixture k8s, tests/k8s.cmake).
dm_unit_test(test_proc ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_proc.c)

# whole-tool runs: without a cluster (fakes only), with the fakes against the test bed's API
# server, and a remote target on the test bed
dm_cli_test(cli_cluster_usage ${CMAKE_CURRENT_SOURCE_DIR}/cli/cluster-usage.sh LABELS integration TIMEOUT 120)
dm_cli_test(cli_cluster_fakes ${CMAKE_CURRENT_SOURCE_DIR}/cli/cluster-fakes.sh FIXTURES k8s LABELS integration TIMEOUT 300)
dm_cli_test(cli_cluster_remote ${CMAKE_CURRENT_SOURCE_DIR}/cli/cluster-remote.sh FIXTURES k8s LABELS integration TIMEOUT 300)
# a minikube target's registry_mirror reaching minikube start (the fake's argv log)
dm_cli_test(cli_cluster_mirror ${CMAKE_CURRENT_SOURCE_DIR}/cli/cluster-mirror.sh FIXTURES k8s LABELS integration TIMEOUT 300)
# registry_mirror as a mapping: dm-cluster runs docker-registry as the pull-through cache (started,
# reused, shown by status, stopped by delete), on loopback ports with a loopback upstream
dm_cli_test(cli_cluster_mirror_serve ${CMAKE_CURRENT_SOURCE_DIR}/cli/cluster-mirror-serve.sh FIXTURES k8s LABELS integration TIMEOUT 300)
# fakes and remote each register a Ready node on the test bed and count the Ready nodes: a node
# another test registers or deletes between the count and dm-cluster status changes the answer,
# so every test that registers nodes there holds one lock (k8s_nodes; gpu.cmake, helm.cmake)
set_tests_properties(cli_cluster_fakes cli_cluster_remote PROPERTIES RESOURCE_LOCK k8s_nodes)

# A Kubernetes node on loopback (tests/servers/k8s-up.sh DIR --node): etcd, the API server,
# kube-controller-manager, kube-scheduler, containerd and a kubelet, with dm's image of this build
# imported (tests/cli/node-up.sh).  Tests on the node use FIXTURES node and source
# tests/cli/node-lib.sh (${DM_TEST_WORK}/node/env).  The node binaries are built beforehand by
# `make deps` (scripts/k8s-tools.sh --node, about 25 minutes once per machine): without them
# node_server_up FAILS and says so; it never builds (a build does not fit a test's timeout).
add_test(NAME node_server_up
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/node-up.sh ${DM_TEST_WORK}/node)
set_tests_properties(node_server_up PROPERTIES FIXTURES_SETUP node LABELS integration TIMEOUT 240
  ENVIRONMENT "DM_BUILD_DIR=${CMAKE_BINARY_DIR}")
# the cleanup stops the test bed and fails if any process, container, mount or pod log folder is left
add_test(NAME node_server_down
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/node-down.sh ${DM_TEST_WORK}/node)
set_tests_properties(node_server_down PROPERTIES FIXTURES_CLEANUP node LABELS integration TIMEOUT 120)

dm_cli_test(node_up_down ${CMAKE_SOURCE_DIR}/tests/cli/node-up-down.sh FIXTURES node LABELS integration TIMEOUT 180)

# dm-secrets in a pod of the node, with the service account the kubelet mounts (a Role for one Secret)
dm_cli_test(node_secrets ${CMAKE_SOURCE_DIR}/tests/cli/node-secrets.sh FIXTURES node LABELS integration TIMEOUT 240)
# dm-cluster on a remote target that is the node test bed: status with the node list, debug -- COMMAND
dm_cli_test(node_cluster ${CMAKE_SOURCE_DIR}/tests/cli/node-cluster.sh FIXTURES node LABELS integration TIMEOUT 300)
# dm-seed --k8s-job N --apply on the node (Kubernetes 1.20: the per-shard form), the RGW behind the
# fault proxy: the bucket against the tree, each key once, a pod killed, exit 4, an existing Job,
# SIGTERM, --timeout, the printed manifest on the server
dm_cli_test(node_seed_job ${CMAKE_SOURCE_DIR}/tests/cli/node-seed-job.sh FIXTURES node s3 LABELS integration TIMEOUT 420)
# dm-helm with pods that run: --wait waits for Ready, a crash-looping container reported (pod,
# reason, exit code, last log line) within its timeout, uninstall leaves nothing (local charts of
# tests/fixtures/node-helm, the pause image and dm's image of the build)
dm_cli_test(node_helm ${CMAKE_SOURCE_DIR}/tests/cli/node-helm.sh FIXTURES node LABELS integration TIMEOUT 420)
# the in-cluster lake of tests/fixtures/node-pipeline: a real S3 server (radosgw) in a pod, with the
# keys dm-helm generated into its Secret; put/get with curl's SigV4 at its endpoint and through
# port-forward svc/lake, wrong keys refused, nothing of the server left after the uninstall
dm_cli_test(node_s3_pod ${CMAKE_SOURCE_DIR}/tests/cli/node-s3-pod.sh FIXTURES node LABELS integration TIMEOUT 420)
# the mission's pipeline from a folder outside the repository, no KUBECONFIG: dm-cluster start (a
# remote target on the test bed, recorded as current), dm-helm install (the lake above), eval
# "$(dm-secrets lake --format env)" && dm-seed data/ s3, dm-secrets --alias && dm-seed data/
# minio/datalake, dm-seed with no arguments; every run through a port-forward of the API server
dm_cli_test(node_pipeline ${CMAKE_SOURCE_DIR}/tests/cli/node-pipeline.sh FIXTURES node LABELS integration TIMEOUT 600)

# The process runner (libdm/proc.c) and dm-cluster: unit tests, and whole-tool
# runs against the minikube/microk8s fakes (tests/fakes/) and the real API
# server of the test bed (fixture k8s, tests/k8s.cmake).
dm_unit_test(test_proc ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_proc.c)

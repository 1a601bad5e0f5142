# The sources of the tools' shared layer, in one list for the main build (CMakeLists.txt beside
# this file) and dm-gpu's standalone build (tools/dm-gpu/standalone), which has no Kubernetes
# client and so leaves out k8s.c.  Needs DM_ROOT (the source tree's top).
set(DM_CLI_SOURCES ${DM_ROOT}/tools/common/cli.c ${DM_ROOT}/tools/common/options.c
    ${DM_ROOT}/tools/common/hints.c ${DM_ROOT}/tools/common/json.c)
set(DM_CLI_K8S_SOURCES ${DM_ROOT}/tools/common/k8s.c)

#!/usr/bin/env bash
# dm-helm install of components that require a GPU (tests/fixtures/platform-gpu), against the
# test bed's real API server with real helm (fixture "k8s").  The nodes are registered by hand as
# NVIDIA's device plugin (status.allocatable nvidia.com/gpu) and GPU feature discovery (the
# nvidia.com/cuda.* labels) would leave them; the test bed's own node, if any, has no GPU.
# Asserted: exit codes, the one error line, and that nothing was installed (no Helm release, no
# namespace, no ConfigMap) when the check refuses; the releases when it passes; --skip-gpu-check.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"

FX=$DM_SOURCE_DIR/tests/fixtures/platform-gpu
work=$(mktemp -d "$DM_TEST_WORK/helm-gpu.XXXXXX")
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
K=$DM_TEST_KUBECTL
H=$DM_TEST_HELM
NS=dm-gx-gpu
id=$$-$RANDOM
cpu_node=gx-cpu-$id
gpu_node=gx-gpu-$id
# shellcheck source=helm-lib.sh
. "$DM_SOURCE_DIR/tests/cli/helm-lib.sh"

lines_err() { # N: stderr has exactly N lines
  [ "$(wc -l <"$work/err")" -eq "$1" ] && ok "stderr: $1 line(s)" || { fail "stderr is not $1 line(s)"; sed 's/^/  stderr: /' "$work/err"; }
}
releases() { "$H" list -n "$NS" -q 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }
nothing_installed() { # WHAT
  [ -z "$(releases)" ] && ok "$1: no Helm release" || fail "$1: releases '$(releases)'"
  $K get namespace "$NS" >/dev/null 2>&1 && fail "$1: namespace $NS was created" || ok "$1: no namespace $NS"
}
# node NAME GPUS LABELS-JSON: (re)registers a node offering GPUS nvidia.com/gpu ('' = no such resource)
node() {
  local alloc='"cpu":"8","memory":"32Gi","pods":"110"'
  [ -n "$2" ] && alloc="$alloc,\"nvidia.com/gpu\":\"$2\""
  $K delete node "$1" --ignore-not-found >/dev/null 2>&1
  printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s","labels":%s},"status":{"capacity":{%s},"allocatable":{%s}}}\n' \
    "$1" "$3" "$alloc" "$alloc" | $K create -f - >/dev/null || { echo "FAIL: cannot register node $1"; exit 1; }
}
cleanup() {
  $K delete node "$cpu_node" "$gpu_node" --ignore-not-found >/dev/null 2>&1
  drop_namespace
  rm -rf "$work"
}
trap cleanup EXIT
drop_namespace || exit 1

CUDA_IMG=quay.io/jupyter/pytorch-notebook:cuda12-python-3.11
CUDA_NEED="gx-cuda (profile pydl_gpu_env) needs a GPU node for image '$CUDA_IMG' (CUDA 12.1)"

# --- usage and the plan ------------------------------------------------------------------------
run -f "$FX/flavours/gpu.yaml" --skip-gpu-check plan
expect_rc 2 "--skip-gpu-check with plan"
has_err "dm-helm: error: --skip-gpu-check goes with install only"
run -f "$FX/flavours/gpu.yaml" plan
expect_rc 0 "plan shows the requirements"
grep -qF "requires a GPU node for $CUDA_IMG (profile pydl_gpu_env), checked before install" "$work/out" &&
  grep -qF "requires a GPU node (nvidia.com/gpu), checked before install" "$work/out" && ok "plan: both requirements" ||
  { fail "plan lacks the requirements"; cat "$work/out"; }

# --- a cluster without GPUs: refused before any helm call, nothing made -------------------------
node "$cpu_node" '' '{}'
run -f "$FX/flavours/gpu.yaml" install
expect_rc 1 "no node offers a GPU"
lines_err 1
# in install order (gx-any, gx-cuda: ties are alphabetical), each with dm-gpu's reason and its fix
has_err "dm-helm: error: gx-any needs a GPU node: [no-allocatable-gpu] no node of the cluster offers nvidia.com/gpu ("
has_err "; $CUDA_NEED: [no-allocatable-gpu] no node of the cluster offers nvidia.com/gpu ("
has_err "deploy the NVIDIA device plugin (or the GPU operator)"
has_err "; nothing was installed (--skip-gpu-check installs them anyway)"
nothing_installed "no GPU"
run -f "$FX/flavours/gpu.yaml" install --json
expect_rc 1 "no GPU, --json"
python3 - "$work/out" <<'EOF' && ok "json: the refused components failed, the other not started" || fail "json outcomes"
import json, sys
d = json.load(open(sys.argv[1]))
o = {c["component"]: c["outcome"] for c in d["components"]}
assert o == {"gx-plain": "not started", "gx-cuda": "failed", "gx-any": "failed"}, o
assert not d["ok"]
assert "[no-allocatable-gpu]" in [c for c in d["components"] if c["component"] == "gx-cuda"][0]["detail"]
EOF
nothing_installed "no GPU, --json"

# --- a GPU node without GPU feature discovery's labels: any GPU will do for gx-any, not for gx-cuda
node "$gpu_node" 2 '{}'
run -f "$FX/flavours/gpu.yaml" install
expect_rc 1 "GPU node, driver unknown"
lines_err 1
has_err "dm-helm: error: $CUDA_NEED: [driver-version-unknown] node '$gpu_node': offers 2 nvidia.com/gpu, but no label says its driver version"
has_err "deploy NVIDIA GPU feature discovery (the GPU operator does), or run 'dm-gpu check --image jupyter-pytorch-notebook-cuda12-python-3.11' on the node"
has_err "; nothing was installed (--skip-gpu-check installs it anyway)"
grep -q "gx-any" "$work/err" && fail "gx-any was refused" || ok "gx-any passed (a GPU node, no CUDA asked)"
nothing_installed "driver unknown"

# --- an old driver (GPU feature discovery's older label names) ---------------------------------
node "$gpu_node" 1 '{"nvidia.com/cuda.driver.major":"470","nvidia.com/cuda.driver.minor":"57","nvidia.com/cuda.driver.rev":"02","nvidia.com/cuda.runtime.major":"11","nvidia.com/cuda.runtime.minor":"4"}'
run -f "$FX/flavours/gpu.yaml" install
expect_rc 1 "driver too old"
lines_err 1
has_err "dm-helm: error: $CUDA_NEED: [driver-too-old] node '$gpu_node': driver 470.57.02 supports CUDA 11.4, but CUDA 12.1 needs driver 530.30.02 or newer: upgrade the NVIDIA driver; nothing was installed"
nothing_installed "driver too old"

# --- not allowed to list nodes: said, nothing installed ----------------------------------------
run -f "$FX/flavours/gpu.yaml" install --kubeconfig "$DM_TEST_KUBECONFIG_USER"
expect_rc 1 "nodes not readable"
lines_err 1
has_err "dm-helm: error: cannot read the nodes to check the GPUs that 2 components need: "
has_err "cannot list nodes"
nothing_installed "nodes not readable"

# --- an image dm-gpu does not know: a configuration error with the file and line ---------------
run -f "$FX/flavours/unknown.yaml" install
expect_rc 3 "unknown image"
has_err "dm-helm: error: $FX/components/gx-unknown/config.yaml:8:12: component 'gx-unknown': image 'example.invalid/no-such-notebook:1.0' is not in dm-gpu's image table"
[ -z "$("$H" list -n dm-gx-unknown -q 2>/dev/null)" ] && ok "unknown image: no release" || fail "unknown image: a release"

# --- a driver that runs CUDA 12.1 (the newer label names): installed ----------------------------
node "$gpu_node" 1 '{"nvidia.com/cuda.driver-version.full":"550.54.15","nvidia.com/cuda.driver-version.major":"550","nvidia.com/cuda.runtime-version.major":"12","nvidia.com/cuda.runtime-version.minor":"4"}'
run -f "$FX/flavours/gpu.yaml" install -v
expect_rc 0 "GPU node with driver 550.54.15"
has_err "dm-helm: $CUDA_NEED: GPU check passed: 1 nvidia.com/gpu on nodes that can run it"
[ "$(releases)" = "gx-any gx-cuda gx-plain" ] && ok "releases: $(releases)" || fail "releases: '$(releases)'"
[ "$($K get configmap gx-cuda-config -n "$NS" -o 'jsonpath={.data.who}')" = cuda ] && ok "gx-cuda's ConfigMap" || fail "no gx-cuda ConfigMap"
run -f "$FX/flavours/gpu.yaml" uninstall
expect_rc 0 "uninstall"

# --- minor-version compatibility: a 12.0 driver runs the 12.1 image, with a warning --------------
node "$gpu_node" 1 '{"nvidia.com/cuda.driver-version.full":"525.85.12","nvidia.com/cuda.runtime-version.major":"12","nvidia.com/cuda.runtime-version.minor":"0"}'
run -f "$FX/flavours/gpu.yaml" install gx-cuda
expect_rc 0 "minor-version compatibility"
has_err "dm-helm: warning: $CUDA_NEED: [minor-version-compat] node '$gpu_node': driver 525.85.12 supports CUDA 12.0, below the 12.1 asked for"
[ "$(releases)" = "gx-cuda" ] && ok "releases: gx-cuda" || fail "releases: '$(releases)'"
run -f "$FX/flavours/gpu.yaml" uninstall
expect_rc 0 "uninstall"

# --- --skip-gpu-check: installed on the cluster without GPUs, each named in a warning -----------
$K delete node "$gpu_node" >/dev/null 2>&1
run -f "$FX/flavours/gpu.yaml" install --skip-gpu-check
expect_rc 0 "--skip-gpu-check"
has_err "dm-helm: warning: gx-cuda: needs a GPU node: not checked, as asked"
has_err "dm-helm: warning: gx-any: needs a GPU node: not checked, as asked"
[ "$(releases)" = "gx-any gx-cuda gx-plain" ] && ok "releases: $(releases)" || fail "releases: '$(releases)'"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"

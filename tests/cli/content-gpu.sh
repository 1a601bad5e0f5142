#!/usr/bin/env bash
# The shipped GPU flavour (flavours/gpu_flavour/gpu_flavour.yaml) is gated by dm-gpu's check, on
# the test bed's real API server (fixture k8s), with a node registered by hand that offers no
# nvidia.com/gpu (as a cluster without NVIDIA's device plugin):
#   - `dm-helm plan` shows the requirements of jupyterhub (the pydl_gpu_env image, CUDA from
#     dm-gpu's table) and dask (any GPU node);
#   - `dm-helm install` is refused before anything runs: exit 1, one line with dm-gpu's diagnosis
#     for each of the two components, and nothing made in the cluster (no namespace, no Secret);
#     with a GPU node whose driver is too old for CUDA 12.1 (470), jupyterhub alone is refused;
#   - with --skip-gpu-check the install goes past the check: a warning per gated component, then
#     the first component (minio) is installed. helm is replaced here by a program that records
#     its arguments and fails, as the charts' hosts cannot be reached from the test bed; minio's
#     helm call (adding its chart repository) is what proves that the install went on.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
: "${DM_TEST_KUBECTL:?}"
K=$DM_TEST_KUBECTL
FL=$DM_SOURCE_DIR/flavours/gpu_flavour/gpu_flavour.yaml
NS=data-mill-gpu
IMG=localhost:5000/data-mill/pydl_gpu_env:2026.12.0
work=$(mktemp -d "$DM_TEST_WORK/content-gpu.XXXXXX")
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
# shellcheck source=helm-lib.sh
. "$DM_SOURCE_DIR/tests/cli/helm-lib.sh"
has() { grep -qF -- "$2" "$work/$1" && ok "$1: $2" || { fail "$1 lacks: $2"; sed "s/^/  $1: /" "$work/$1"; }; }
node=content-cpu-$$-$RANDOM
gpu_node=content-gpu-$$-$RANDOM
cleanup() { $K delete node "$node" "$gpu_node" --ignore-not-found >/dev/null 2>&1; drop_namespace; rm -rf "$work"; }
trap cleanup EXIT
$K get namespace "$NS" >/dev/null 2>&1 && { echo "FAIL: namespace $NS exists before the test"; exit 1; }
printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s"},"status":{"capacity":{%s},"allocatable":{%s}}}\n' \
  "$node" '"cpu":"8","memory":"32Gi","pods":"110"' '"cpu":"8","memory":"32Gi","pods":"110"' |
  $K create -f - >/dev/null || { echo "FAIL: cannot register node $node"; exit 1; }
gpus=$($K get nodes -o 'jsonpath={range .items[*]}{.status.allocatable.nvidia\.com/gpu}{end}')
[ -z "$gpus" ] && ok "no node of the test bed offers nvidia.com/gpu" || { echo "FAIL: a node offers GPUs: $gpus"; exit 1; }

# helm: records its arguments, answers `version`, fails everything else (no network here)
cat >"$work/helm" <<H
#!/bin/sh
echo "\$*" >>"$work/helm.log"
case "\$1" in version) echo 'v3.16.0+g0'; exit 0 ;; esac
echo "Error: no network on the test bed" >&2
exit 1
H
chmod +x "$work/helm"

# --- the plan names both requirements ----------------------------------------------------------
run -f "$FL" plan
expect_rc 0 "plan of the GPU flavour"
has out "requires a GPU node for $IMG (profile pydl_gpu_env), checked before install"
has out "requires a GPU node (nvidia.com/gpu), checked before install"

# --- install without GPU nodes: refused with dm-gpu's diagnosis, nothing made --------------------
run -f "$FL" --helm "$work/helm" install
expect_rc 1 "install without GPU nodes"
[ "$(wc -l <"$work/err")" -eq 1 ] && ok "one error line" || { fail "stderr is not one line"; cat "$work/err"; }
# in install order (dask, then jupyterhub), each with dm-gpu's reason and its fix
has err "dm-helm: error: dask needs a GPU node: [no-allocatable-gpu] no node of the cluster offers nvidia.com/gpu (1 node: '$node', allocatable 0)"
has err "; jupyterhub (profile pydl_gpu_env) needs a GPU node for image '$IMG' (CUDA 12.1): [no-allocatable-gpu] no node of the cluster offers nvidia.com/gpu"
has err "deploy the NVIDIA device plugin (or the GPU operator)"
has err "; nothing was installed (--skip-gpu-check installs them anyway)"
if [ -e "$work/helm.log" ]; then fail "helm was called:"; cat "$work/helm.log"; else ok "helm was never called"; fi
$K get namespace "$NS" >/dev/null 2>&1 && fail "namespace $NS was created" || ok "no namespace $NS"

# --- a GPU node whose driver (470, CUDA 11.4) is too old for pydl_gpu_env's CUDA 12.1 ------------
# (the labels of NVIDIA's GPU feature discovery): dask passes (any GPU), jupyterhub is refused
printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s","labels":%s},"status":{"capacity":{%s},"allocatable":{%s}}}\n' \
  "$gpu_node" '{"nvidia.com/cuda.driver-version.full":"470.57.02","nvidia.com/cuda.driver-version.major":"470","nvidia.com/cuda.runtime-version.major":"11","nvidia.com/cuda.runtime-version.minor":"4"}' \
  '"cpu":"8","memory":"32Gi","pods":"110","nvidia.com/gpu":"1"' '"cpu":"8","memory":"32Gi","pods":"110","nvidia.com/gpu":"1"' |
  $K create -f - >/dev/null || { echo "FAIL: cannot register node $gpu_node"; exit 1; }
run -f "$FL" --helm "$work/helm" install
expect_rc 1 "install with a GPU node on driver 470"
has err "dm-helm: error: jupyterhub (profile pydl_gpu_env) needs a GPU node for image '$IMG' (CUDA 12.1): [driver-too-old] node '$gpu_node': driver 470.57.02 supports CUDA 11.4, but CUDA 12.1 needs driver 530.30.02 or newer"
grep -qF "dask needs" "$work/err" && fail "dask was refused with a GPU node" || ok "dask passed (a GPU node, no CUDA asked)"
if [ -e "$work/helm.log" ]; then fail "helm was called:"; cat "$work/helm.log"; else ok "helm was never called"; fi
$K delete node "$gpu_node" >/dev/null 2>&1

# --- --skip-gpu-check: past the check, minio's install starts ------------------------------------
run -f "$FL" --helm "$work/helm" install --skip-gpu-check
[ "$rc" -ne 0 ] && ok "install --skip-gpu-check fails at helm, as helm cannot reach the chart hosts (exit $rc)" ||
  fail "install --skip-gpu-check exit 0 with a failing helm"
has err "jupyterhub: needs a GPU node: not checked, as asked"
has err "dask: needs a GPU node: not checked, as asked"
grep -qF "[no-allocatable-gpu]" "$work/err" && fail "the GPU check ran with --skip-gpu-check" || ok "no GPU diagnosis"
has err "dm-helm: minio: installing"
grep -qxF "repo add --force-update charts-min-io https://charts.min.io/" "$work/helm.log" 2>/dev/null &&
  ok "helm was asked for minio's chart repository" ||
  { fail "helm was not asked for minio's chart repository"; cat "$work/helm.log" 2>/dev/null; }
has err "dm-helm: warning: jupyterhub: skipped: needs 'minio', which failed"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all content-gpu checks passed"

#!/usr/bin/env bash
# helm-charts/mlflow passes `helm lint --strict` with the test bed's helm.
set -euo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
work=$(mktemp -d "$DM_TEST_WORK/helm-lint.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME=$work/cache HELM_CONFIG_HOME=$work/config HELM_DATA_HOME=$work/data
out=$("$DM_TEST_HELM" lint --strict "$DM_SOURCE_DIR/helm-charts/mlflow" 2>&1) || {
  echo "FAIL: helm lint --strict helm-charts/mlflow:"; echo "$out"; exit 1; }
echo "$out" | grep -q '1 chart(s) linted, 0 chart(s) failed' || { echo "FAIL: unexpected lint output:"; echo "$out"; exit 1; }
# and the chart renders with the values dm-helm passes (components/mlflow)
"$DM_TEST_HELM" template mlflow "$DM_SOURCE_DIR/helm-charts/mlflow" \
  -f "$DM_SOURCE_DIR/components/mlflow/values.yaml" >"$work/rendered.yaml" 2>&1 || {
  echo "FAIL: helm template:"; cat "$work/rendered.yaml"; exit 1; }
grep -q 'kind: Deployment' "$work/rendered.yaml" || { echo "FAIL: no Deployment rendered"; exit 1; }
echo "ok: helm lint --strict helm-charts/mlflow"

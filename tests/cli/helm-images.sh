#!/usr/bin/env bash
# dm-helm images, offline: the fixture platform's local charts rendered with helm template and
# dm's values (tests/fixtures/platform-gpu), a local manifest, and a repository chart that can
# never be fetched (.invalid).  helm comes from the test bed's tools (fixture "k8s"); no cluster is
# used: KUBECONFIG points at nothing.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"

FX=$DM_SOURCE_DIR/tests/fixtures/platform-gpu/flavours
work=$(mktemp -d "$DM_TEST_WORK/helm-images.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
export KUBECONFIG=$work/no-such-kubeconfig
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
# shellcheck source=helm-lib.sh
. "$DM_SOURCE_DIR/tests/cli/helm-lib.sh"
out_is() {
  [ "$(cat "$work/out")" = "$(printf '%s\n' "$@")" ] && ok "stdout: $# lines as expected" ||
    { fail "stdout is not: $(printf '%s\n' "$@")"; sed 's/^/  stdout: /' "$work/out"; }
}

DIGEST=quay.io/example/nightly@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
# sorted, each once (app:1.0 is in two containers); the chart's registry replaced by the
# component's values file and worker's tag by its set entry; the ConfigMaps' image: keys left out
run -f "$FX/images.yaml" images
expect_rc 0 "images of local charts and a local manifest"
out_is docker.io/library/busybox:1.36 "$DIGEST" registry.example.org/dm/app:1.0 registry.example.org/dm/init:1.0 \
  registry.example.org/dm/worker:2.1
[ -s "$work/err" ] && { fail "stderr not empty"; cat "$work/err"; } || ok "stderr empty"

run -f "$FX/images.yaml" images --json
expect_rc 0 "--json"
python3 - "$work/out" "$DIGEST" <<'PY' && ok "--json: the same list" || fail "--json list"
import json, sys
d = json.load(open(sys.argv[1]))["images"]
assert d == ["docker.io/library/busybox:1.36", sys.argv[2], "registry.example.org/dm/app:1.0",
             "registry.example.org/dm/init:1.0", "registry.example.org/dm/worker:2.1"], d
PY

# one component: only its images
run -f "$FX/images.yaml" images gx-manifest
expect_rc 0 "one component"
out_is docker.io/library/busybox:1.36

# a chart that cannot be fetched: named on stderr, exit 4, the others' images listed
run -f "$FX/images-remote.yaml" images -j 2
expect_rc 4 "a remote chart offline"
out_is "$DIGEST" registry.example.org/dm/app:1.0 registry.example.org/dm/init:1.0 registry.example.org/dm/worker:2.1
has_err "dm-helm: error: gx-remote: helm template gx-remote (cannot render the chart without fetching https://charts.invalid/: offline?) failed: "
has_err "dm-helm: warning: images: the list is partial: 1 of 2 components could not be rendered (gx-remote)"
run -f "$FX/images-remote.yaml" images --json
expect_rc 4 "a remote chart offline, --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["images"]) == 4 and d["exit_code"] == 4, d' "$work/out" && ok "--json: partial list" || fail "--json partial"

# the shipped MLflow chart (helm-charts/mlflow) renders offline too
run -f "$DM_SOURCE_DIR/flavours/default.yaml" images mlflow
expect_rc 0 "the shipped local chart"
grep -qE '^ghcr\.io/mlflow/mlflow:v[0-9]' "$work/out" && ok "mlflow's image: $(cat "$work/out")" || { fail "no mlflow image"; cat "$work/out"; }

run -f "$FX/images.yaml" images --dry-run
expect_rc 2 "--dry-run"
has_err "dm-helm: error: images runs nothing on the cluster; it takes no --dry-run"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"

#!/usr/bin/env bash
# dm-helm without a cluster: usage, plans, dry runs (exact argv, nothing run), configuration
# errors with file:line and exit 3, and a missing helm named with how to get it.
set -uo pipefail

FX=$DM_SOURCE_DIR/tests/fixtures/platform/flavours
work=$(mktemp -d "${DM_TEST_WORK:-/tmp}/helm-plan.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset DM_HELM DM_KUBECTL DM_FLAVOUR KUBECONFIG
# shellcheck source=helm-lib.sh
. "$DM_SOURCE_DIR/tests/cli/helm-lib.sh"
has_out() { grep -qF -- "$1" "$work/out" && ok "stdout: $1" || { fail "stdout lacks: $1"; head -40 "$work/out" | sed 's/^/  stdout: /'; }; }
# err_is LINE...: stderr is exactly these lines; out_is LINE...: stdout is exactly these lines
err_is() {
  [ "$(cat "$work/err")" = "$(printf '%s\n' "$@")" ] && ok "stderr: $1" ||
    { fail "stderr is not: $(printf '%s\n' "$@")"; sed 's/^/  stderr: /' "$work/err"; }
}
out_is() {
  [ "$(cat "$work/out")" = "$(printf '%s\n' "$@")" ] && ok "stdout: $1" ||
    { fail "stdout is not: $(printf '%s\n' "$@")"; head -20 "$work/out" | sed 's/^/  stdout: /'; }
}
usage_is() { err_is "$1" "Try 'dm-helm --help' for more information."; }

# --- usage -----------------------------------------------------------------------------------
run --help
expect_rc 0 "--help"
has_out "Usage: dm-helm [OPTIONS] plan|install|uninstall|status|images [COMPONENT...]"
has_out "4 partial failure"
[ -s "$work/err" ] && fail "--help wrote to stderr" || ok "--help: stderr empty"
run
expect_rc 2 "no command"
usage_is "dm-helm: error: name a command: plan, install, uninstall, status or images"
run frobnicate
expect_rc 2 "unknown command"
usage_is "dm-helm: error: unknown command 'frobnicate' (plan, install, uninstall, status or images)"
run --jobs 0 plan
expect_rc 2 "--jobs 0"
usage_is "dm-helm: error: --jobs must be a number from 1 to 64, not '0'"
run --timeout soon plan
expect_rc 2 "--timeout soon"
usage_is "dm-helm: error: --timeout must be a duration like 90s, 10m or 1h30m, not 'soon'"
run --delete-namespace install
expect_rc 2 "--delete-namespace with install"
usage_is "dm-helm: error: --delete-namespace goes with uninstall only"

# --- plan: order and resolved files, from the repository root as the default flavour ---------
(cd "$DM_SOURCE_DIR" && "$DM_BIN/dm-helm" plan >"$work/out" 2>"$work/err"); rc=$?
expect_rc 0 "plan of the default flavour (flavours/default.yaml)"
has_out "flavour $DM_SOURCE_DIR/flavours/default.yaml"
has_out "   set      adminPassword=<secret>"
has_out '   set      artifactRepository.s3.endpoint=${minio.host}'
has_out "--set artifactRepository.s3.endpoint=minio.data-mill.svc.cluster.local:9000 "
run -f "$DM_SOURCE_DIR/flavours/datalake_flavour.yaml" plan
expect_rc 0 "plan datalake_flavour.yaml"
m=$(grep -n '^1\. minio (helm' "$work/out" | cut -d: -f1)
p=$(grep -n '^2\. lakefs (helm' "$work/out" | cut -d: -f1)
[ -n "$m" ] && [ -n "$p" ] && ok "datalake: minio, then lakefs" || fail "datalake order"
has_out "   override  $DM_SOURCE_DIR/components/minio/datalake_flavour.yaml"
has_out "   values   $DM_SOURCE_DIR/components/minio/datalake-values.yaml"
has_out "   set      existingSecret=lakefs-secrets"
has_out "   secret   lakefs-secrets (auth_encrypt_secret_key; 48 characters): created unless it exists"
has_out "   secret   minio-credentials (rootUser, rootPassword; 32 characters): created unless it exists"
has_out "   \$ helm upgrade --install minio charts-min-io/minio --namespace data-mill --create-namespace --version 5.4.0"
run -f "$FX/mode2.yaml" plan
expect_rc 0 "plan mode2.yaml"
has_out "   values   $DM_SOURCE_DIR/tests/fixtures/platform/configs/mode2/values.yaml"
has_out "   values   $DM_SOURCE_DIR/tests/fixtures/platform/configs/mode2/fx-base-extra.yaml"

# --- dry runs: exact argv, nothing run (no helm anywhere on PATH) ----------------------------
PATH=/nonexistent run -f "$FX/basic.yaml" install --dry-run --timeout 90s --kubeconfig /k/config --context ctx
expect_rc 0 "install --dry-run without helm"
cat >"$work/want" <<EOF
helm upgrade --install fx-base $DM_SOURCE_DIR/tests/fixtures/charts/fx-base --namespace dm-fx-basic --create-namespace -f $DM_SOURCE_DIR/tests/fixtures/platform/components/fx-base/values.yaml --set data.layer=config --wait --timeout 90s --kube-context ctx --kubeconfig /k/config
helm upgrade --install fx-other $DM_SOURCE_DIR/tests/fixtures/charts/fx-other --namespace dm-fx-basic --create-namespace --wait --timeout 90s --kube-context ctx --kubeconfig /k/config
helm upgrade --install fx-store $DM_SOURCE_DIR/tests/fixtures/charts/fx-base --namespace dm-fx-basic --create-namespace --set data.role=store --wait --timeout 90s --kube-context ctx --kubeconfig /k/config
helm upgrade --install fx-app $DM_SOURCE_DIR/tests/fixtures/charts/fx-app --namespace dm-fx-basic --create-namespace --set store.endpoint=http://fx-store.dm-fx-basic.svc.cluster.local:9000 --set store.host=fx-store.dm-fx-basic.svc.cluster.local:9000 --set store.secretName=fx-store-keys --set store.accessKeyField=access_key -f - --wait --timeout 90s --kube-context ctx --kubeconfig /k/config
EOF
diff "$work/want" "$work/out" >/dev/null && ok "install --dry-run: exact commands" || { fail "install --dry-run commands"; diff "$work/want" "$work/out"; }
PATH=/nonexistent run -f "$FX/basic.yaml" uninstall --dry-run
expect_rc 0 "uninstall --dry-run"
got=$(awk '{print $3}' "$work/out" | tr '\n' ' ')
[ "$got" = "fx-app fx-store fx-other fx-base " ] && ok "uninstall --dry-run in reverse order" || fail "uninstall order '$got'"
PATH=/nonexistent run -f "$FX/parallel.yaml" uninstall --dry-run --delete-namespace fx-manifest
expect_rc 0 "uninstall --dry-run of a manifest component"
has_out "kubectl delete -f $DM_SOURCE_DIR/tests/fixtures/platform/components/fx-manifest/configmap.yaml --namespace dm-fx-parallel --ignore-not-found --timeout=60s"
has_out "kubectl delete namespace dm-fx-parallel --ignore-not-found --wait=false"
PATH=/nonexistent run -f "$FX/parallel.yaml" install --dry-run --component fx-manifest
expect_rc 0 "install --dry-run of a manifest component"
out_is "kubectl apply -f $DM_SOURCE_DIR/tests/fixtures/platform/components/fx-manifest/configmap.yaml --namespace dm-fx-parallel -o name"
DM_HELM=/opt/helm3/helm run -f "$FX/mode3.yaml" status --dry-run
expect_rc 0 "status --dry-run"
has_out "/opt/helm3/helm status fx-base --namespace dm-fx-mode3 -o json"

# --- helm missing: named, with how to get it -------------------------------------------------
PATH=/nonexistent run -f "$FX/basic.yaml" install
expect_rc 1 "install without helm"
err_is "dm-helm: error: 'helm' not found in PATH; run scripts/k8s-tools.sh, which prints where it put helm and kubectl, and pass that path with --helm or \$DM_HELM"
DM_HELM=$work/no-helm run -f "$FX/basic.yaml" status
expect_rc 1 "DM_HELM pointing nowhere"
err_is "dm-helm: error: DM_HELM='$work/no-helm' is not an executable file; run scripts/k8s-tools.sh, which prints where it put helm and kubectl, and pass that path with --helm or \$DM_HELM"

# --- configuration errors: exit 3, file:line --------------------------------------------------
check_config_error() { # FLAVOUR TEXT...
  local f=$1; shift
  run -f "$f" plan
  expect_rc 3 "plan $(basename "$f")"
  for t in "$@"; do has_err "$t"; done
}
check_config_error "$FX/unknown-project-key.yaml" "unknown-project-key.yaml:5:3: unknown key 'k8s_namespce' in project"
check_config_error "$FX/unknown-component-key.yaml" "unknown-component-key.yaml:8:3: unknown key 'relase'"
check_config_error "$FX/unknown-component.yaml" "unknown-component.yaml:4:" "'fx-nope', which is no component"
check_config_error "$FX/unknown-section.yaml" "unknown-section.yaml:6:1: 'fx-nope' is not a component"
check_config_error "$FX/duplicate-key.yaml" "duplicate-key.yaml:5:" "duplicate key 'flavour'"
check_config_error "$FX/malformed.yaml" "malformed.yaml:5:13:"
check_config_error "$FX/missing-need.yaml" "component 'fx-app' needs 'fx-base' and 'fx-store'" "--with-needs"
check_config_error "$FX/../cycle/flavours/cycle.yaml" "cycle in needs: cy-a -> cy-b -> cy-c -> cy-a"
check_config_error "$FX/../unknown-need/flavours/unknown-need.yaml" "un-a/config.yaml:6:" "'un-a' needs 'un-ghost'"
check_config_error "$FX/../bad-ref/flavours/unneeded.yaml" "br-unneeded/config.yaml:8:" "not in needs"
run -f "$FX/missing-need.yaml" --with-needs plan
expect_rc 0 "plan missing-need.yaml --with-needs"
got=$(sed -n 's/^[0-9]*\. \([a-z0-9-]*\) .*/\1/p' "$work/out" | tr '\n' ' ')
[ "$got" = "fx-base fx-store fx-app " ] && ok "--with-needs order: $got" || fail "--with-needs order '$got'"
run -f "$work/none.yaml" plan
expect_rc 3 "a flavour that does not exist (bad configuration)"
has_err "flavour '$work/none.yaml' does not exist"
run -f "$FX/basic.yaml" plan fx-nope
expect_rc 2 "an unknown component on the command line"
has_err "'fx-nope' is no component"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all dm-helm plan checks passed"

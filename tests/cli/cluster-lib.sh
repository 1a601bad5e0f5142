#!/usr/bin/env bash
# Shared by the dm-cluster tests: a throw-away platform tree (components/, k8s/configs/, a
# flavour), the minikube and microk8s fakes (tests/fakes/) with an argv log and a state folder,
# and small assertions.  Each test gets its own folder under $DM_TEST_WORK.
set -euo pipefail

: "${DM_BIN:?}" "${DM_SOURCE_DIR:?}" "${DM_TEST_WORK:?}"
DMC=$DM_BIN/dm-cluster
T=$(mktemp -d "$DM_TEST_WORK/cluster.XXXXXX")
P=$T/plat
mkdir -p "$P/components" "$P/k8s/configs" "$P/flavours" "$T/state"
export DM_FAKE_LOG=$T/argv.log DM_FAKE_STATE=$T/state
export DM_MINIKUBE=$DM_SOURCE_DIR/tests/fakes/minikube DM_MICROK8S=$DM_SOURCE_DIR/tests/fakes/microk8s
unset DM_FLAVOUR DM_FAKE_STATUS_DELAY DM_FAKE_START_FAIL DM_FAKE_NEVER_READY DM_FAKE_MICROK8S_RELEASE
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config
mkdir -p "$HOME"
# a name for this test's namespaces and profiles, from its folder
# shellcheck disable=SC2034
id=$(basename "$T" | tr 'A-Z.' 'a-z-' | tr -cd 'a-z0-9-')

# The test bed's API server (ENV: the env file of fixture k8s or node); kc runs kubectl as its
# admin, whatever KUBECONFIG the test then points the tools at.
bed_env() {
	# shellcheck disable=SC1090
	. "$1"
	ADMIN_KC=$KUBECONFIG
}
kc() { "$DM_TEST_KUBECTL" --kubeconfig "$ADMIN_KC" "$@"; }
# The fake minikube on the test bed: it writes its context into $T/kube/config (as minikube
# writes ~/.kube/config), from the bed's token kubeconfig.
fake_minikube_on_bed() {
	bed_env "$DM_TEST_WORK/k8s/env"
	export DM_FAKE_KUBECONFIG_SOURCE=$DM_TEST_KUBECONFIG_TOKEN KUBECONFIG=$T/kube/config
}

fail() { echo "FAIL: $*" >&2; for f in "$T"/out "$T"/err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
pass() { echo "ok: $*"; }

# run RC ARGS...: dm-cluster with ARGS; stdout to $T/out, stderr to $T/err; the exit code must be RC
run() {
  local want=$1 rc=0
  shift
  "$DMC" "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" = "$want" ] || fail "dm-cluster $* exited $rc, expected $want"
}
# expect_err RC TEXT ARGS...: like run, and stderr must contain TEXT
expect_err() {
  local want=$1 text=$2
  shift 2
  run "$want" "$@"
  grep -qF -- "$text" "$T/err" || fail "dm-cluster $*: stderr lacks '$text'"
}
# err_is TEXT: stderr is exactly the line TEXT
err_is() { [ "$(cat "$T/err")" = "$1" ] || fail "stderr is not the one line '$1'"; }
# log_has / log_lacks PATTERN: the fakes' argv log (grep -E, whole line)
log_has() { grep -qxE -- "$1" "$T/argv.log" 2>/dev/null || fail "argv log lacks '$1'"; }
log_lacks() { ! grep -qxE -- "$1" "$T/argv.log" 2>/dev/null || fail "argv log has '$1'"; }
log_reset() { rm -f "$T/argv.log"; }

# flavour NS [EXTRA-YAML]: writes $P/flavours/f.yaml with namespace NS, default target mk.yaml
flavour() {
  cat >"$P/flavours/f.yaml" <<EOT
project:
  k8s_namespace: $1
  proxy_port: 18001
  flavour: all
  k8s_default_config: mk.yaml
${2:-}
EOT
}
F=$P/flavours/f.yaml

# remote_flavour NS: flavour NS with an inline remote target (-r) on the test bed's API server,
# through a copy of its token kubeconfig (path relative to the flavour file), context dm-test
remote_flavour() {
  flavour "$1" "remote:
  provider: remote
  kubeconfig: ../kube/remote.kubeconfig
  context: dm-test"
  mkdir -p "$P/kube"
  cp "$DM_TEST_KUBECONFIG_TOKEN" "$P/kube/remote.kubeconfig"
}

# bad_target WHERE MESSAGE LINE...: a target file of these lines makes `dm-cluster start` (the
# flavour $F, --dry-run) exit 3 with "FILE:WHERE: MESSAGE"
bad_target() {
	local where=$1 msg=$2
	shift 2
	printf '%s\n' "$@" >"$P/k8s/configs/bad.yaml"
	expect_err 3 "$P/k8s/configs/bad.yaml:$where: $msg" -f "$F" --target "$P/k8s/configs/bad.yaml" --dry-run start
}

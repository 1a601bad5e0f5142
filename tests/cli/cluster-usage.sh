#!/usr/bin/env bash
# dm-cluster without a cluster: --help, usage errors, target file errors (file:line:col),
# --dry-run running nothing, delete refusing without --yes, preflight, a status that times out,
# a start that fails, microk8s never becoming ready, a missing program.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"

flavour dm-usage-test
cat >"$P/k8s/configs/mk.yaml" <<'EOT'
provider: minikube
profile: dmtest
driver: docker
cpus: 1
memory: 2g
disk: 10G
kubernetes_version: v1.33.1
gpu: true
addons: [dashboard, metrics-server]
EOT

# --- help and usage ----------------------------------------------------------------------------
run 0 --help
grep -q '^Usage: dm-cluster' "$T/out" && grep -q 'Exit codes:' "$T/out" && grep -q 'debug net' "$T/out" ||
  fail "--help"
[ ! -s "$T/err" ] || fail "--help wrote to stderr"
expect_err 2 "no command given" -f "$F"
expect_err 2 "unknown command 'launch'" -f "$F" launch
expect_err 2 "exclude each other" -f "$F" --local --remote status
expect_err 2 "debug takes 'net' or 'app'" -f "$F" debug shell
expect_err 2 "invalid --timeout 'soon'" -f "$F" --timeout soon status
expect_err 2 "--json is for start, stop, delete and status: proxy hands the terminal to kubectl proxy" -f "$F" --json proxy
[ ! -e "$T/argv.log" ] || fail "usage errors ran a program"
pass "help and usage errors (exit 2)"

# --- delete needs --yes --------------------------------------------------------------------------
expect_err 2 "add --yes to confirm" -f "$F" delete
[ ! -e "$T/argv.log" ] || fail "delete without --yes ran: $(cat "$T/argv.log")"
pass "delete without --yes refuses and runs nothing"

# --- dry run -------------------------------------------------------------------------------------
run 0 -f "$F" --dry-run start
cat >"$T/want" <<EOT
$DM_MINIKUBE status -p dmtest -o json
$DM_MINIKUBE start -p dmtest --driver docker --cpus 1 --memory 2048mb --disk-size 10240mb --gpus all --kubernetes-version v1.33.1
$DM_MINIKUBE addons list -p dmtest -o json
$DM_MINIKUBE addons enable dashboard -p dmtest
$DM_MINIKUBE addons enable metrics-server -p dmtest
EOT
diff "$T/want" "$T/out" >&2 || fail "--dry-run start (minikube): commands differ"
run 0 -f "$F" --dry-run --yes delete
[ "$(cat "$T/out")" = "$DM_MINIKUBE delete -p dmtest" ] || fail "--dry-run delete: $(cat "$T/out")"
run 0 -f "$F" --dry-run debug app
grep -qF -- "kubectl run dm-debug-app-" "$T/out" && grep -qF -- "-it --rm --restart=Never --namespace dm-usage-test --image python:3.12-slim --context dmtest" "$T/out" ||
  fail "--dry-run debug app: $(cat "$T/out")"
flavour dm-usage-test "local:
  provider: microk8s
  cpus: 1
  memory: 512m
  gpu: true
  addons: [dns, storage]
  kubeconfig: uk/kc"
run 0 -f "$F" --local --dry-run start
cat >"$T/want" <<EOT
$DM_MICROK8S status --format yaml
$DM_MICROK8S start
$DM_MICROK8S status --wait-ready --timeout 600 --format yaml
$DM_MICROK8S enable dns
$DM_MICROK8S enable storage
$DM_MICROK8S enable gpu
$DM_MICROK8S config
EOT
diff "$T/want" "$T/out" >&2 || fail "--dry-run start (microk8s): commands differ"
[ ! -e "$T/argv.log" ] && [ -z "$(ls -A "$T/state")" ] && [ ! -e "$P/flavours/uk" ] ||
  fail "--dry-run ran something: $(cat "$T/argv.log" 2>/dev/null)"
pass "--dry-run prints the commands and runs none"

# --- target errors -------------------------------------------------------------------------------
bad() { # LINE:COL MESSAGE YAML...
  local where=$1 msg=$2
  shift 2
  printf '%s\n' "$@" >"$P/k8s/configs/bad.yaml"
  expect_err 3 "$P/k8s/configs/bad.yaml:$where: $msg" -f "$F" --target "$P/k8s/configs/bad.yaml" status
}
bad 2:1 "key 'cpus' does not apply to provider remote" "provider: remote" "cpus: 2"
bad 2:1 "key 'context' does not apply to provider minikube" "provider: minikube" "context: x"
bad 2:1 "key 'disk' does not apply to provider microk8s" "provider: microk8s" "disk: 10g"
bad 2:1 "unknown key 'cpu' in target" "provider: minikube" "cpu: 2"
bad 1:11 "provider 'kind' is not one of minikube, microk8s, remote" "provider: kind"
bad 2:9 "memory: '8x' is not a size" "provider: minikube" "memory: 8x"
bad 2:9 "'driver' cannot start with '-'" "provider: minikube" "driver: --force"
bad 2:7 "'cpus' must be between 1 and 4096, not 0" "provider: minikube" "cpus: 0"
flavour dm-usage-test "remote:
  provider: minikube"
expect_err 3 "the inline 'remote' target must have provider remote" -f "$F" --remote status
expect_err 3 "has no inline 'local:' target" -f "$F" --local status
pass "target errors name file:line:col (exit 3)"

# --- preflight -----------------------------------------------------------------------------------
cat >"$P/k8s/configs/big.yaml" <<'EOT'
provider: minikube
cpus: 4096
EOT
expect_err 1 "asks for 4096 CPUs but this machine has $(nproc)" -f "$F" --target "$P/k8s/configs/big.yaml" start
printf 'provider: microk8s\nmemory: 100000g\n' >"$P/k8s/configs/big.yaml"
expect_err 1 "asks for 102400000 MiB of memory" -f "$F" --target "$P/k8s/configs/big.yaml" start
log_lacks ".* start.*"
pass "preflight refuses more CPUs or memory than the machine has"

# --- a program that is not there -----------------------------------------------------------------
flavour dm-usage-test
DM_MINIKUBE= PATH=/usr/bin:/bin expect_err 1 "'minikube' not found in PATH (or set DM_MINIKUBE to its path)" -f "$F" status
pass "missing minikube: a clear message"

# --- timeouts ------------------------------------------------------------------------------------
start_s=$(date +%s)
DM_FAKE_STATUS_DELAY=20 expect_err 1 "status -p dmtest -o json' did not finish within 1s and was stopped (--timeout)" \
  -f "$F" --timeout 1s status
[ $(( $(date +%s) - start_s )) -lt 8 ] || fail "status --timeout 1s took $(( $(date +%s) - start_s ))s"
pass "a status that does not answer times out with a clear message"

DM_FAKE_START_FAIL=1 expect_err 1 "minikube exited with 80: X Exiting due to GUEST_PROVISION" -f "$F" start
log_has "minikube start -p dmtest .*"
log_lacks "minikube addons enable .*"
pass "a failing minikube start is reported with its last line"

flavour dm-usage-test "local:
  provider: microk8s
  addons: [dns]"
log_reset
# 15 s, not less: --timeout also bounds the first, quick status call and the start, which the
# python fake answers in seconds when make check runs other tests beside this one
DM_FAKE_NEVER_READY=1 expect_err 1 "microk8s was not ready within 15s" -f "$F" --local --timeout 15s start
log_has "microk8s start"
log_has "microk8s status --wait-ready --timeout 15 --format yaml"
log_lacks "microk8s enable .*"
pass "microk8s that never gets ready: start waits --timeout, then says so"

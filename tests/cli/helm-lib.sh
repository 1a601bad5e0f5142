#!/usr/bin/env bash
# Shared by the dm-helm tests: the failure count and its assertions.  The sourcing test sets
# $work (its folder) and ends with `[ "$fails" -eq 0 ]` or a summary of its own.
#   run ARGS...      dm-helm with ARGS: stdout to $work/out, stderr to $work/err, exit code to $rc
#   expect_rc N WHAT the last run exited N (else both outputs are shown)
#   has_err TEXT     stderr holds TEXT
# shellcheck disable=SC2154 # $work is the sourcing test's
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
run() { "$DM_BIN/dm-helm" "$@" >"$work/out" 2>"$work/err"; rc=$?; }
expect_rc() {
  if [ "$rc" -ne "$1" ]; then
    fail "$2: exit $rc, wanted $1"; sed 's/^/  stderr: /' "$work/err"; head -40 "$work/out" | sed 's/^/  stdout: /'
  else
    ok "$2 (exit $rc)"
  fi
}
has_err() { grep -qF -- "$1" "$work/err" && ok "stderr: $1" || { fail "stderr lacks: $1"; sed 's/^/  stderr: /' "$work/err"; }; }
# drop_namespace: removes namespace $NS and what the tests' installs left in it (its releases,
# ConfigMaps and Secrets). The test bed runs no namespace controller, so the namespace's
# finalizer is cleared by hand. Returns 1, saying so, when it is still there after 5 s.
drop_namespace() {
  local r
  $DM_TEST_KUBECTL get namespace "$NS" >/dev/null 2>&1 || return 0
  for r in $("$DM_TEST_HELM" list -n "$NS" -q 2>/dev/null); do "$DM_TEST_HELM" uninstall "$r" -n "$NS" >/dev/null 2>&1; done
  $DM_TEST_KUBECTL delete configmaps,secrets --all -n "$NS" --wait=false >/dev/null 2>&1
  $DM_TEST_KUBECTL delete namespace "$NS" --wait=false >/dev/null 2>&1
  $DM_TEST_KUBECTL get namespace "$NS" -o json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin); d["spec"]["finalizers"] = []; print(json.dumps(d))' |
    $DM_TEST_KUBECTL replace --raw "/api/v1/namespaces/$NS/finalize" -f - >/dev/null 2>&1
  for _ in $(seq 1 50); do $DM_TEST_KUBECTL get namespace "$NS" >/dev/null 2>&1 || return 0; sleep 0.1; done
  echo "FAIL: cannot remove namespace $NS"
  return 1
}

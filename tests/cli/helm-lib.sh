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

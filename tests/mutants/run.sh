#!/usr/bin/env bash
# Mutation check of dm's guarantees (make mutants; not part of make check or CI).
#
# For each mutation in tests/mutants/list (or those named on the command line)
# it breaks one guarantee in a scratch copy of the tree, rebuilds that copy
# (plain build, only the test areas the mutations need), runs the tests that
# must catch it (ctest -R) and prints a table: mutation, tests run, caught or
# SURVIVED.  The unmutated copy runs first: its tests must pass, or a "caught"
# would mean nothing.  Exit 0 when every mutation was caught, 1 otherwise.
#
#   tests/mutants/run.sh                    # every mutation
#   tests/mutants/run.sh verify-size-only   # some
#   MUTANTS_DIR=/tmp/m tests/mutants/run.sh # where the scratch copy goes (kept)
#   MUTANTS_JOBS=2                          # build jobs (default: nproc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
list=$here/list
jobs=${MUTANTS_JOBS:-$(nproc 2>/dev/null || echo 2)}
areas="unit;seed;s3-servers;hardening;gpu"
keep=${MUTANTS_DIR:+1}
work=${MUTANTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dm-mutants.XXXXXX")}
mkdir -p "$work"
# each test run boots its own RGW: give it the most ctest allows (120 s) on a busy machine
export DM_S3_BOOT_TIMEOUT=${DM_S3_BOOT_TIMEOUT:-110}

# the mutations, in list order: names, their tests
mapfile -t names < <(grep -v '^#' "$list" | grep -v '^$' | cut -f1 | awk '!seen[$0]++')
if [ $# -gt 0 ]; then names=("$@"); fi
tests_of() { awk -F'\t' -v n="$1" '$1 == n {print $2; exit}' "$list"; }
for n in "${names[@]}"; do
  [ -n "$(tests_of "$n")" ] || { echo "mutants: no mutation '$n' in $list" >&2; exit 2; }
done

# a scratch copy of the working tree (build folders and git data left out)
src=$work/src
mkdir -p "$src"
rsync -a --delete --exclude '/build*' --exclude '.git' "$root/" "$src/"
echo "mutants: scratch copy in $src, build in $work/build (-j$jobs, areas $areas)"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDM_WERROR=ON \
  -DDM_TEST_ONLY="$areas" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }

# apply NAME: every line of NAME, each OLD found exactly once; restores on failure
apply() {
  python3 - "$list" "$src" "$1" <<'PY'
import sys
lst, src, name = sys.argv[1:4]
unescape = lambda s: s.replace("\\t", "\t").replace("\\n", "\n")
for line in open(lst, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    if f[0] != name:
        continue
    path, old, new = f"{src}/{f[2]}", unescape(f[3]), unescape(f[4])
    text = open(path, encoding="utf-8").read()
    if text.count(old) != 1:
        sys.exit(f"{f[2]}: the text to mutate occurs {text.count(old)} times: {f[3]}")
    open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}
# rsync keeps the tree's mtimes: the files the list mutates get fresh ones, so
# that a build left by an earlier run (with a mutation compiled in) is redone
for f in $(grep -v '^#' "$list" | cut -f3 | sort -u); do touch "$src/$f"; done

# restore: the files the list mutates, as they are in the tree
restore() {
  local f
  # a fresh mtime (no cp -p): the build must see the file changed back
  for f in $(grep -v '^#' "$list" | cut -f3 | sort -u); do
    cmp -s "$root/$f" "$src/$f" || cp "$root/$f" "$src/$f"
  done
}

# One RGW for every run (booting one per run costs a minute on a busy machine):
# the tests use buckets of their own.  It is stopped on exit.
server_up=0
stop_server() {
  [ "$server_up" = 1 ] && (cd "$work/build" && ctest -R '^s3_server_down$' >/dev/null 2>&1) || true
  [ -n "$keep" ] || rm -rf "$work"
}
trap stop_server EXIT

# run LABEL TESTS: builds, runs TESTS; sets $result (pass, fail, build-failed) and $ran
run() {
  local label=$1 tests=$2 log="$work/$1.log"
  if ! cmake --build "$work/build" -j"$jobs" >"$log" 2>&1; then
    result=build-failed ran=0
    return
  fi
  if [ "$server_up" = 0 ]; then
    (cd "$work/build" && ctest -R '^s3_server_up$' --output-on-failure >>"$log" 2>&1) ||
      { echo "mutants: the test S3 server did not start: see $log" >&2; exit 1; }
    server_up=1
  fi
  if (cd "$work/build" && ctest -R "$tests" -FS s3 -FC s3 --output-on-failure >>"$log" 2>&1); then
    result=pass
  else
    result=fail
  fi
  ran=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$log" | grep -vc '_server_' || true)
}

all_tests=$(for n in "${names[@]}"; do tests_of "$n"; done | sed 's/^\^(\(.*\))\$$/\1/; s/^\^//; s/\$$//' |
  tr '|' '\n' | sort -u | paste -sd'|')
restore
echo "mutants: baseline (no mutation): ^($all_tests)\$"
if [ "${MUTANTS_BASELINE:-1}" = 0 ]; then
  echo "mutants: baseline skipped (MUTANTS_BASELINE=0: only right after a run whose baseline passed)"
  result=pass
else
  run baseline "^($all_tests)\$"
fi
if [ "$result" != pass ]; then
  echo "mutants: the unmutated tree does not pass its tests ($result): see $work/baseline.log" >&2
  tail -40 "$work/baseline.log" >&2
  exit 1
fi

rows=() survived=0
for n in "${names[@]}"; do
  t=$(tests_of "$n")
  restore
  if ! err=$(apply "$n" 2>&1); then
    rows+=("| $n | \`${t//|/\\|}\` | STALE (fix the list): $err |")
    survived=$((survived + 1))
    continue
  fi
  run "$n" "$t"
  case "$result" in
    fail) verdict=caught ;;
    pass) verdict=SURVIVED; survived=$((survived + 1)) ;;
    *) verdict="build failed (see $work/$n.log)"; survived=$((survived + 1)) ;;
  esac
  # the tests that failed, from ctest's list
  failed=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/\1/p' "$work/$n.log" | grep -v '_server_' | paste -sd, || true)
  rows+=("| $n | \`${t//|/\\|}\` ($ran run) | $verdict${failed:+ by $failed} |")
  echo "mutants: $n: $verdict"
done
restore
# the last build is of the unmutated tree again, for a rerun
cmake --build "$work/build" -j"$jobs" >/dev/null 2>&1 || true

echo
echo "| mutation | tests run | result |"
echo "| --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "mutants: ${#names[@]} mutations, $((${#names[@]} - survived)) caught, $survived not caught ($(date -u +%Y-%m-%d))"
[ "$survived" = 0 ]

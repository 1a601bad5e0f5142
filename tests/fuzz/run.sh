#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/CMakeLists.txt, clang, ASan+UBSan)
# when needed and runs each for SECONDS, starting from its seed corpus
# (tests/fuzz/corpus/TARGET) and what earlier runs added (BUILD/corpus/TARGET).
# Prints the executions of each target; fails when any target crashed, leaked,
# hung or broke an invariant, naming the saved input (BUILD/artifacts/TARGET/).
#
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Environment: DM_FUZZ_BUILD   the build folder (default: build-fuzz)
#              DM_FUZZ_DEPS=0  skip tests/fuzz/install-deps.sh
#              JOBS            build parallelism (default 2)
#              DM_FUZZ_SEED=N  libFuzzer's -seed: the same inputs in the same order on every
#                              run (make check uses it, so its runs can be reproduced)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

usage() { echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
seconds=$1
shift
case "$seconds" in ''|*[!0-9]*) usage ;; esac
[ "$seconds" -ge 1 ] || usage

build=${DM_FUZZ_BUILD:-build-fuzz}
[ "${DM_FUZZ_DEPS:-1}" = 0 ] || bash "$here/install-deps.sh"

CC=${CC:-clang} cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${JOBS:-2}" >"$build/build.log" 2>&1 || {
  tail -40 "$build/build.log" >&2
  echo "fuzz: the build failed (full log: $build/build.log)" >&2
  exit 1
}

mapfile -t all < "$build/targets.txt"
if [ $# -gt 0 ]; then
  targets=("$@")
  for t in "${targets[@]}"; do
    [ -x "$build/fuzz_$t" ] || { echo "fuzz: no target '$t' (have: ${all[*]})" >&2; exit 2; }
  done
else
  targets=("${all[@]}")
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary="$build/summary.txt"
printf '%-12s %8s %12s %9s %7s  %s\n' target seconds executions exec/s corpus result > "$summary"
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  art="$build/artifacts/$t"
  log="$build/logs/$t.log"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds+=("$here/corpus/$t")
  [ -d "$here/regressions/$t" ] && seeds+=("$here/regressions/$t")
  echo "fuzz: $t for ${seconds}s" >&2
  rc=0
  "$build/fuzz_$t" ${DM_FUZZ_SEED:+-seed="$DM_FUZZ_SEED"} -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    result="FAILED (exit $rc): ${crash:-no input saved}"
    failed+=("$t")
    echo "fuzz: $t failed; the log says:" >&2
    grep -E 'invariant failed|ERROR: |SUMMARY: |Test unit written|^    #[0-9] ' "$log" | head -25 >&2 || true
    echo "fuzz: full log: $log" >&2
    [ -n "${crash:-}" ] && echo "fuzz: reproduce with: $build/fuzz_$t $crash" >&2
  fi
  printf '%-12s %8s %12s %9s %7s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$corpus" "$result" >> "$summary"
done

cat "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s clean"

#!/usr/bin/env bash
# make check, after `make deps build asan`: the plain build's suite, then the ASan+UBSan build's,
# each with ctest -j CTEST_JOBS, while the libFuzzer targets run beside them (fuzz-check: each
# target FUZZ_SECONDS from a fixed seed; its output is shown when both suites are done).  Most of a
# suite's time is spent waiting for servers, pods and timeouts, so the cores have room for both.
# Every part runs to its end; the exit code is 1 when any of them failed.  Last, the count of
# tests that ctest skipped or did not run (tests/ctest-skipped.py).
#
# Usage: tests/check.sh BUILD ASAN_BUILD CTEST_JOBS FUZZ_SECONDS [ctest arguments...]
set -u
build=$1 asan=$2 jobs=$3 fuzz_seconds=$4
shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fuzz_log=$(mktemp)
trap 'rm -f "$fuzz_log"' EXIT
bash tests/fuzz/install-deps.sh >/dev/null # before the suites: apt runs alone
DM_FUZZ_DEPS=0 DM_FUZZ_SEED=1 nice -n 5 bash tests/fuzz/run.sh "$fuzz_seconds" >"$fuzz_log" 2>&1 &
fuzz=$!

failed=()
start=$(date +%s)
(cd "$build" && ctest -j"$jobs" "$@" --output-junit ctest-junit.xml) || failed+=("the plain build's tests")
echo "check: the plain build's tests took $(($(date +%s) - start)) s"
start=$(date +%s)
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest -j"$jobs" "$@" --output-junit ctest-junit.xml) || failed+=("the ASan+UBSan build's tests")
echo "check: the ASan+UBSan build's tests took $(($(date +%s) - start)) s"
wait "$fuzz" || failed+=("fuzz-check")
echo "---- fuzz-check (ran beside the suites)"
cat "$fuzz_log"

python3 tests/ctest-skipped.py "$build/ctest-junit.xml" "$asan/ctest-junit.xml"
if [ ${#failed[@]} -gt 0 ]; then
  echo "check: FAILED: ${failed[*]}"
  exit 1
fi
echo "check: every part passed"

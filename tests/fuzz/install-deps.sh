#!/usr/bin/env bash
# Installs what the fuzz targets need: clang with libFuzzer and the sanitizer
# runtimes (libclang-rt-*-dev on Debian 12) and the LLVM OpenMP runtime
# (libdm is built with -fopenmp).  Idempotent: when clang can already link a
# libFuzzer target, nothing is fetched.
# Usage: tests/fuzz/install-deps.sh
set -euo pipefail

cc=${CC:-clang}
probe() {
  local dir rc
  dir=$(mktemp -d)
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' > "$dir/t.c"
  printf '%s\n' '#include <omp.h>' 'int f(void) { return omp_get_max_threads(); }' > "$dir/omp.c"
  rc=0
  command -v "$cc" >/dev/null 2>&1 &&
    "$cc" -fsanitize=fuzzer,address,undefined "$dir/t.c" -o "$dir/t" >/dev/null 2>&1 &&
    "$dir/t" -runs=1 >/dev/null 2>&1 &&
    "$cc" -fopenmp -c "$dir/omp.c" -o "$dir/omp.o" >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}

probe && exit 0

# clang's major version decides the runtime package's name (Debian 12: 14)
pkgs=(clang)
if command -v clang >/dev/null 2>&1; then
  major=$(clang -dumpversion | cut -d. -f1)
else
  major=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
fi
if [ -n "${major:-}" ]; then
  pkgs+=("libclang-rt-$major-dev" "libomp-$major-dev")
else
  pkgs+=(libclang-rt-dev libomp-dev)
fi

bash "$(dirname "$0")/../../scripts/install-deps.sh" "${pkgs[@]}"
probe || { echo "fuzz/install-deps.sh: $cc still cannot build a libFuzzer target with ASan, UBSan and OpenMP" >&2; exit 1; }

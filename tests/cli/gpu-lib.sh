# tests/cli/gpu-lib.sh - helpers for the dm-gpu scripts (sourced).
# Needs DM_BIN, DM_BUILD_DIR, DM_TEST_WORK from ctest (tests/CMakeLists.txt).
set -u
FAKES=$DM_BUILD_DIR/fakes/nvidia
JGET=$FAKES/jget
GPU=$DM_BIN/dm-gpu
W=$DM_TEST_WORK/${GPU_TEST_NAME:-gpu}
rm -rf "$W"
mkdir -p "$W"
fails=0
checks=0

ok() { checks=$((checks + 1)); echo "ok - $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok - $*"; }

# run NAME RC [VAR=value...] -- ARGS...: runs dm-gpu with a clean driver
# environment plus the given variables; stdout in $W/NAME.out, stderr in
# $W/NAME.err; checks the exit code.
run() {
  local name=$1 want=$2 rc
  shift 2
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env -u DM_NVML_LIBRARY -u DM_CUDA_LIBRARY -u DM_FAKE_NVIDIA_SCENARIO -u LD_LIBRARY_PATH \
    ${envs[@]+"${envs[@]}"} "$GPU" "$@" >"$W/$name.out" 2>"$W/$name.err"
  rc=$?
  if [ "$rc" = "$want" ]; then
    ok "$name: exit $rc"
  else
    bad "$name: exit $rc, expected $want"
    sed 's/^/    stdout: /' "$W/$name.out" | head -40
    sed 's/^/    stderr: /' "$W/$name.err" | head -20
  fi
}

# jeq NAME PATH VALUE: $W/NAME.out is valid JSON and PATH holds VALUE.
jeq() {
  local got
  got=$("$JGET" "$W/$1.out" "$2" 2>&1)
  if [ "$got" = "$3" ]; then ok "$1: $2 = $3"; else bad "$1: $2 = '$got', expected '$3'"; fi
}

# jhas NAME PATH TEXT: the value at PATH contains TEXT.
jhas() {
  local got
  got=$("$JGET" "$W/$1.out" "$2" 2>&1)
  case "$got" in
    *"$3"*) ok "$1: $2 contains '$3'" ;;
    *) bad "$1: $2 = '$got', expected it to contain '$3'" ;;
  esac
}

# has NAME FILE-SUFFIX TEXT: $W/NAME.<out|err> contains the fixed TEXT.
has() {
  if grep -qF -- "$3" "$W/$1.$2"; then ok "$1: $2 has '$3'"; else
    bad "$1: $2 lacks '$3'"; sed 's/^/    /' "$W/$1.$2" | head -40; fi
}

# usage_is NAME TEXT: a usage error: stderr is exactly TEXT and the --help hint, stdout empty.
usage_is() {
  if [ "$(cat "$W/$1.err")" = "$2"$'\n'"Try 'dm-gpu --help' for more information." ] && [ ! -s "$W/$1.out" ]; then
    ok "$1: '$2'"
  else
    bad "$1: wanted '$2' and the --help hint alone"; sed 's/^/    stderr: /' "$W/$1.err"; sed 's/^/    stdout: /' "$W/$1.out" | head -5
  fi
}

hasnt() {
  if grep -qF -- "$3" "$W/$1.$2"; then bad "$1: $2 has '$3'"; sed 's/^/    /' "$W/$1.$2" | head -40; else
    ok "$1: $2 has no '$3'"; fi
}

finish() {
  echo "$checks checks, $fails failed"
  [ "$fails" -eq 0 ]
}

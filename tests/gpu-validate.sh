#!/usr/bin/env bash
# tests/gpu-validate.sh - build dm-gpu and run it on a machine with a real
# NVIDIA GPU; the record goes into docs/gpu-validation.md.
#
# Usage (from anywhere; it finds the repository from its own path):
#   bash tests/gpu-validate.sh            # everything to stdout
#   OUT=/some/dir bash tests/gpu-validate.sh   # one file per step in /some/dir
#
# It builds dm-gpu alone (tools/dm-gpu/standalone: libyaml, jansson,
# libcrypto, cmake and a C compiler; no libcurl, libxml2 or cmocka), with the
# --smoke test when a CUDA toolkit is found (nvcc on PATH, or /usr/local/cuda).
# Missing Debian/Ubuntu packages are installed with apt-get only when it
# works here (the machine may have no network); otherwise it names them.
# Then it runs, and records with their exit codes:
#   nvidia-smi                                 (when present, for comparison)
#   dm-gpu list --json
#   dm-gpu check --cuda 12.0 --smoke           (the human report)
#   dm-gpu check --cuda 12.0 --smoke --json
# Exit: the exit code of `dm-gpu check --cuda 12.0 --smoke` (0 ready, 1 not
# ready), 3 when dm-gpu could not be built.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${DM_GPU_VALIDATE_BUILD:-$root/build-gpu-validate}
out=${OUT:-}
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 8 ] && jobs=8

say() { echo "gpu-validate: $*" >&2; }

if [ -n "$out" ]; then
  mkdir -p "$out" || { say "cannot create OUT folder '$out'"; exit 3; }
  tmp=$out
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi

# emit NAME: show a recorded file (stdout mode) - in OUT mode the file is the record
emit() {
  [ -n "$out" ] && return 0
  echo "===== $1"
  cat "$tmp/$1"
  echo
}

# --- what this machine is ------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "host: $(uname -n) $(uname -srm)"
  [ -r /etc/os-release ] && . /etc/os-release && echo "os: ${PRETTY_NAME:-unknown}"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- 2>/dev/null || echo ' (with local changes)')"
  echo "kernel module: $(head -1 /proc/driver/nvidia/version 2>/dev/null || echo 'none (/proc/driver/nvidia/version absent)')"
  echo "libraries: $(ldconfig -p 2>/dev/null | grep -E 'lib(nvidia-ml|cuda)\.so\.1 ' | awk '{print $NF}' | tr '\n' ' ')"
  echo "device nodes: $(ls /dev/nvidia* 2>/dev/null | tr '\n' ' ')"
} >"$tmp/environment.txt" 2>&1
emit environment.txt

# --- build tools and libraries ---------------------------------------------------
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists yaml-0.1 || missing+=(libyaml-dev)
  pkg-config --exists jansson || missing+=(libjansson-dev)
  pkg-config --exists libcrypto || missing+=(libssl-dev)
else
  missing+=(libyaml-dev libjansson-dev libssl-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "missing: ${missing[*]}"
  SUDO=
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$tmp/apt.log" 2>&1 ||
      { $SUDO apt-get update -qq >>"$tmp/apt.log" 2>&1 &&
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$tmp/apt.log" 2>&1; } ||
      say "apt-get could not install them (no network?); see apt.log"
  else
    say "cannot install packages here (no apt-get, or not root)"
  fi
fi

# a CUDA toolkit for --smoke: nvcc on PATH, else the usual place
if ! command -v nvcc >/dev/null 2>&1; then
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do
    if [ -x "$d/nvcc" ]; then PATH=$d:$PATH; break; fi
  done
fi
echo "nvcc: $(command -v nvcc || echo 'none: --smoke will not be built')" >>"$tmp/environment.txt"

if ! { cmake -S "$root/tools/dm-gpu/standalone" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$build" -j"$jobs"; } >"$tmp/build.log" 2>&1; then
  say "building dm-gpu failed; the last lines of build.log:"
  tail -n 30 "$tmp/build.log" >&2
  emit build.log
  exit 3
fi
grep -E 'dm-gpu:' "$tmp/build.log" >>"$tmp/environment.txt"
GPU=$build/bin/dm-gpu

# --- runs -------------------------------------------------------------------------
if command -v nvidia-smi >/dev/null 2>&1; then
  { nvidia-smi; echo "exit: $?"; nvidia-smi -q | head -60; } >"$tmp/nvidia-smi.txt" 2>&1
  emit nvidia-smi.txt
fi

"$GPU" list --json >"$tmp/list.json" 2>"$tmp/list.err"
list_rc=$?
emit list.json

"$GPU" check --cuda 12.0 --smoke >"$tmp/check.txt" 2>&1
check_rc=$?
emit check.txt

"$GPU" check --cuda 12.0 --smoke --json >"$tmp/check.json" 2>"$tmp/check-json.err"
check_json_rc=$?
emit check.json

{
  echo "dm-gpu list --json: exit $list_rc"
  echo "dm-gpu check --cuda 12.0 --smoke: exit $check_rc"
  echo "dm-gpu check --cuda 12.0 --smoke --json: exit $check_json_rc"
  grep -hE '^(ready|not ready|dm-gpu: error|dm-gpu: warning|smoke)' "$tmp/check.txt"
} >"$tmp/summary.txt"
emit summary.txt
[ -n "$out" ] && say "results in $out: environment.txt build.log list.json check.txt check.json summary.txt"
exit "$check_rc"

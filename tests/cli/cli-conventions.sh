#!/usr/bin/env bash
# What every dm-* tool shares (tools/common: dm/cli.h and options.c), checked on the five
# built tools: --help on stdout alone, exit 0, within 80 columns, with the exit codes;
# -V and --version print the same "TOOL VERSION" line; a long option is taken by its whole
# name only: a prefix of a real option is an unknown option (exit 2, one line and the
# --help hint), never that option.
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for tool in dm-seed dm-helm dm-secrets dm-cluster dm-gpu; do
  bin=$DM_BIN/$tool
  "$bin" --help >"$T/out" 2>"$T/err"
  rc=$?
  [ "$rc" = 0 ] || fail "$tool --help: exit $rc"
  [ ! -s "$T/err" ] || fail "$tool --help wrote to stderr: $(head -n 2 "$T/err")"
  grep -q "^Usage: $tool" "$T/out" || fail "$tool --help: no 'Usage: $tool' line"
  grep -q '^Exit codes:' "$T/out" || fail "$tool --help: no exit codes"
  wide=$(awk 'length($0) > 80 { printf "%d: %s\n", NR, $0 }' "$T/out")
  [ -z "$wide" ] || fail "$tool --help: lines wider than 80 columns: $wide"

  long=$("$bin" --version 2>&1)
  short=$("$bin" -V 2>&1)
  [[ "$long" =~ ^$tool\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "$tool --version: '$long'"
  [ "$long" = "$short" ] || fail "$tool: -V says '$short', --version says '$long'"

  # every long option that takes a value, cut by one letter: never taken as that option
  opts=$(grep -oE -- '--[a-z][a-z0-9-]+ [A-Z]' "$T/out" | cut -d' ' -f1 | sort -u)
  [ -n "$opts" ] || fail "$tool --help: no option with a value found"
  for o in $opts; do
    cut=${o%?}
    grep -qE -- "^ *(-[a-zA-Z], )?$cut( |$)" "$T/out" && continue # the shorter name is an option of its own
    "$bin" "$cut" x >"$T/out2" 2>"$T/err2"
    rc=$?
    want="$tool: error: unknown option '$cut'"$'\n'"Try '$tool --help' for more information."
    [ "$rc" = 2 ] && [ "$(cat "$T/err2")" = "$want" ] && [ ! -s "$T/out2" ] ||
      fail "$tool $cut x: exit $rc, stderr '$(cat "$T/err2")' (wanted exit 2 and '$want')"
  done
done

# the case that getopt_long got wrong: dm-cluster has --kubeconfig-out, not --kubeconfig
"$DM_BIN/dm-cluster" --kubeconfig "$T/kc" status >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--kubeconfig'" "$T/err" ||
  fail "dm-cluster --kubeconfig FILE: exit $rc, $(head -n 1 "$T/err")"

if [ "$fails" = 0 ]; then
  echo "cli conventions: 5 tools, help, version and whole option names: ok"
  exit 0
fi
echo "$fails failure(s)"
exit 1

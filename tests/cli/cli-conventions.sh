#!/usr/bin/env bash
# What every dm-* tool shares (tools/common: dm/cli.h and options.c), checked on the five
# built tools: --help on stdout alone, exit 0, within 80 columns, with the exit codes;
# -V and --version print the same "TOOL VERSION" line; a long option is taken by its whole
# name only: a prefix of a real option is an unknown option (exit 2, one line and the
# --help hint), never that option; each command's --help is the tool's; a short letter means
# one option in all five (-n --namespace, -f --flavour); -q leaves only the error lines.
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

# each command's help: the same text, within 80 columns
for tc in "dm-helm plan install uninstall status images" "dm-cluster start stop delete status proxy debug" \
  "dm-gpu list check"; do
  set -- $tc
  tool=$1
  shift
  "$DM_BIN/$tool" --help >"$T/help"
  for c in "$@"; do
    "$DM_BIN/$tool" "$c" --help >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" = 0 ] && [ ! -s "$T/err" ] && cmp -s "$T/help" "$T/out" || fail "$tool $c --help: exit $rc, not the tool's help"
    grep -qE "^  $c( |$)" "$T/help" || fail "$tool --help does not list the command '$c'"
  done
done

# a short letter means one option in every tool; -n is the namespace wherever there is one, and
# -f the flavour file, as kubectl's and helm's -n and -f (a file)
for tool in dm-seed dm-helm dm-secrets dm-cluster dm-gpu; do
  "$DM_BIN/$tool" --help | grep -oE '^  -[a-zA-Z], --[a-z0-9-]+' | sed "s/^  /$tool /; s/,//"
done >"$T/letters"
clash=$(awk '{ if (($2 in long) && long[$2] != $3) print $2 " is " long[$2] " in " tool[$2] " and " $3 " in " $1; long[$2] = $3; tool[$2] = $1 }' "$T/letters")
[ -z "$clash" ] || fail "short letters with two meanings: $clash"
for tool in dm-seed dm-helm dm-secrets dm-cluster dm-gpu; do
  if "$DM_BIN/$tool" --help | grep -qE -- '--namespace '; then
    grep -qx "$tool -n --namespace" "$T/letters" || fail "$tool has --namespace but not as -n"
  fi
  if "$DM_BIN/$tool" --help | grep -qE -- '--flavour '; then
    grep -qx "$tool -f --flavour" "$T/letters" || fail "$tool has --flavour but not as -f"
  fi
done
grep -E ' -n ' "$T/letters" | grep -v -- '--namespace$' && fail "-n that is not --namespace"
# no letter that kubectl or helm give to something else: what each means there (kubectl -h,
# helm -h of their common commands), and the dm option that may take it ('-' for none)
while read -r letter theirs ours; do
  bad=$(awk -v l="$letter" -v o="$ours" '$2 == l && $3 != o { print $1 " " $2 " " $3 }' "$T/letters")
  [ -z "$bad" ] || fail "$bad: kubectl/helm's $letter is $theirs"
done <<'EOT'
-l --selector -
-t --tty -
-c --container -
-i --stdin -
-o --output -
-A --all-namespaces -
-w --watch -
-R --recursive -
-k --kustomize -
-a --api-versions -
-g --generate-name -
-n --namespace --namespace
EOT

# -q: a failing run says its error lines and nothing else on stderr; a good one says nothing
P=$DM_SOURCE_DIR
quiet_err() { # TOOL ARGS...: fails; every stderr line an error line of TOOL
  local tool=$1 rc
  shift
  "$DM_BIN/$tool" -q "$@" >/dev/null 2>"$T/err" </dev/null
  rc=$?
  [ "$rc" != 0 ] && [ -s "$T/err" ] && ! grep -qvE "^($tool: error: |Try '$tool --help')" "$T/err" ||
    fail "$tool -q $*: exit $rc, stderr: $(head -n 3 "$T/err")"
}
quiet_err dm-seed "$P/data" "no-such-alias-$$/bucket"
quiet_err dm-helm plan -f "$T/no-such.yaml"
quiet_err dm-secrets --secret s --kubeconfig "$T/no-such-kubeconfig"
quiet_err dm-cluster status -f "$T/no-such.yaml"
DM_NVML_LIBRARY=$T/none.so DM_CUDA_LIBRARY=$T/none.so quiet_err dm-gpu check --root "$T"
"$DM_BIN/dm-helm" -q plan -f "$P/flavours/default.yaml" --root "$P" >/dev/null 2>"$T/err" && [ ! -s "$T/err" ] ||
  fail "dm-helm -q plan: $(head -n 3 "$T/err")"
printf 'provider: minikube\nprofile: dmq\ndriver: docker\ncpus: 1\nmemory: 512m\n' >"$T/mk.yaml"
DM_MINIKUBE=$T/no-minikube "$DM_BIN/dm-cluster" -q --dry-run start -f "$P/flavours/default.yaml" --root "$P" \
  --target "$T/mk.yaml" >/dev/null 2>"$T/err" && [ ! -s "$T/err" ] || fail "dm-cluster -q --dry-run start: $(head -n 3 "$T/err")"

# the case that getopt_long got wrong: dm-cluster has --kubeconfig-out, not --kubeconfig
"$DM_BIN/dm-cluster" --kubeconfig "$T/kc" status >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--kubeconfig'" "$T/err" ||
  fail "dm-cluster --kubeconfig FILE: exit $rc, $(head -n 1 "$T/err")"

if [ "$fails" = 0 ]; then
  echo "cli conventions: 5 tools, help (each command's too), version, whole option names, short letters, -q: ok"
  exit 0
fi
echo "$fails failure(s)"
exit 1

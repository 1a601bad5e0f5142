#!/usr/bin/env bash
# The shell completion the build writes from each tool's --help (cmake/completion.sh), used as
# bash uses it: the completion function is called with COMP_WORDS/COMP_CWORD as bash sets them.
#   - "TOOL --<TAB>" offers exactly the long options of --help;
#   - the value of an option whose argument is FILE offers files, of a DIR option folders, of any
#     other (N, DUR, NAME) nothing;
#   - a tool with commands offers exactly --help's commands first, the option values skipped
#     ("dm-helm -f x.yaml <TAB>"), and dm-cluster's "debug <TAB>" offers net and app.
# The zsh file names every long option of --help in an _arguments spec.
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$T/pick # what file and folder names are offered from
mkdir -p "$P/dir" && touch "$P/file.yaml"

# complete WORD... : what the completion offers for the last word, sorted, one per line
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  "$fn"
  printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}

tools=$(cd "$DM_SOURCE_DIR/tools" && for d in */; do [ "$d" = common/ ] || echo "${d%/}"; done)
for tool in $tools; do
  b=$DM_BUILD_DIR/completion/bash/$tool z=$DM_BUILD_DIR/completion/zsh/_$tool
  [ -f "$b" ] || { fail "$tool: no bash completion $b"; continue; }
  [ -f "$z" ] || fail "$tool: no zsh completion $z"
  "$DM_BIN/$tool" --help >"$T/help"
  # shellcheck disable=SC1090
  . "$b" || { fail "$tool: $b does not load"; continue; }
  fn=_${tool//-/_}
  [ "$(complete -p "$tool" 2>/dev/null)" = "complete -F $fn $tool" ] || fail "$tool: $b registers no $fn"

  grep -oE '^(  -[A-Za-z0-9], |      )--[a-z0-9-]+' "$T/help" | sed 's/.*--/--/' | sort >"$T/want"
  complete_words "$tool" -- >"$T/got"
  diff "$T/want" "$T/got" >"$T/d" || { fail "$tool --<TAB> ('<' --help, '>' offered):"; sed 's/^/    /' "$T/d"; }
  while read -r o; do
    grep -qE -- "'[*]?$o=?[[']" "$z" || fail "$tool: the zsh completion lacks $o"
  done <"$T/want"

  # each option's value, by its argument name
  sed -nE 's/^(  -[A-Za-z0-9], |      )(--[a-z0-9-]+) ([^ ]+).*/\2 \3/p' "$T/help" >"$T/valued"
  [ -s "$T/valued" ] || fail "$tool --help: no option with a value"
  while read -r o arg; do
    got=$(complete_words "$tool" "$o" "$P/")
    case $arg in
    FILE|PATH) want=$(printf '%s\n' "$P/dir" "$P/file.yaml") ;;
    DIR) want=$P/dir ;;
    *) want='' ;;
    esac
    [ "$got" = "$want" ] || fail "$tool $o $P/<TAB> ($arg): offered '$got', wanted '$want'"
  done <"$T/valued"

  awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$T/help" | sort -u >"$T/cmds"
  if [ -s "$T/cmds" ]; then
    complete_words "$tool" "" >"$T/got"
    diff "$T/cmds" "$T/got" >"$T/d" || { fail "$tool <TAB>: ('<' --help's commands, '>' offered)"; sed 's/^/    /' "$T/d"; }
    # an option's value is no command: the commands are still offered after it
    o=$(awk '{ print $1; exit }' "$T/valued")
    complete_words "$tool" "$o" x "" >"$T/got"
    diff -q "$T/cmds" "$T/got" >/dev/null || fail "$tool $o x <TAB>: offered $(tr '\n' ' ' <"$T/got")"
  else
    # no commands: operands are files
    got=$(complete_words "$tool" "$P/fi")
    [ "$got" = "$P/file.yaml" ] || fail "$tool $P/fi<TAB>: offered '$got'"
  fi
done

got=$(fn=_dm_cluster complete_words dm-cluster -v debug "" | tr '\n' ' ')
[ "$got" = "app net " ] || fail "dm-cluster -v debug <TAB>: offered '$got', wanted 'app net'"

[ "$fails" = 0 ] && echo "completion: bash and zsh for $(echo $tools | wc -w) tools, as their --help says"
[ "$fails" = 0 ]

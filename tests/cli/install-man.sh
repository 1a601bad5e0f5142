#!/usr/bin/env bash
# Each tool's man page (tools/<tool>/<tool>.1, one source beside the code) against the tool's
# --help: every option of --help is an entry of the page's OPTIONS, with the same short letter
# and the same argument name, and every entry there is an option of --help; the same for the
# commands (--help's "Commands:" against the page's COMMANDS).  Every page, dm(7) too, renders
# without a groff warning.  Needs groff (scripts/install-deps.sh test).
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
command -v groff >/dev/null || { echo "FAIL: groff not found: scripts/install-deps.sh test"; exit 1; }

# "SHORT --long ARG" per option (SHORT and ARG may be empty), as dm_cli_print_options writes them
help_options() {
  sed -nE 's/^(  -([A-Za-z0-9]), |      )--([a-z0-9][a-z0-9-]*)( ([^ ]+))?( {2,}.*)?$/\2 --\3 \5/p'
}
# the same from the page: each .TP entry whose tag starts with an option (\fB\-...)
man_options() {
  awk '/^\.TP/ { if ((getline tag) > 0 && tag ~ /^\\fB\\-/) print tag }' "$1" |
    sed -E 's/\\f[BIRP]//g; s/\\-/-/g' >"$T/tags"
  sed -nE 's/^(-([A-Za-z0-9]), )?--([a-z0-9][a-z0-9-]*)( ([^ ]+))?$/\2 --\3 \5/p' "$T/tags"
  # a tag that is no "[-X, ]--long [ARG]" is a mistake in the page, never ignored
  grep -vE '^(-[A-Za-z0-9], )?--[a-z0-9][a-z0-9-]*( [^ ]+)?$' "$T/tags" | sed 's/^/BAD TAG: /'
}
# the first word of each term of --help's "Commands:" section
help_commands() {
  awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort -u
}
# the first word of each .TP tag of the page's COMMANDS section
man_commands() {
  awk '/^\.SH/ { on = ($2 == "COMMANDS") ; next } on && /^\.TP/ { if ((getline tag) > 0) print tag }' "$1" |
    sed -E 's/^\.B //; s/\\f[BIRP]//g; s/\\-/-/g' | awk '{ print $1 }' | sed 's/|.*//' | sort -u
}

tools=$(cd "$DM_SOURCE_DIR/tools" && for d in */; do [ "$d" = common/ ] || echo "${d%/}"; done)
[ -n "$tools" ] || fail "no tools found under $DM_SOURCE_DIR/tools"
for tool in $tools; do
  page=$DM_SOURCE_DIR/tools/$tool/$tool.1
  [ -f "$page" ] || { fail "$tool has no man page tools/$tool/$tool.1"; continue; }
  "$DM_BIN/$tool" --help >"$T/help" || fail "$tool --help: exit $?"
  help_options <"$T/help" | sort >"$T/h"
  man_options "$page" | sort >"$T/m"
  [ -s "$T/h" ] || fail "$tool --help: no options found"
  if ! diff "$T/h" "$T/m" >"$T/d"; then
    fail "$tool: --help and tools/$tool/$tool.1 differ ('<' only in --help, '>' only in the page):"
    sed 's/^/    /' "$T/d"
  fi
  help_commands <"$T/help" >"$T/hc"
  man_commands "$page" >"$T/mc"
  if ! diff "$T/hc" "$T/mc" >"$T/d"; then
    fail "$tool: the commands of --help and of tools/$tool/$tool.1's COMMANDS differ:"
    sed 's/^/    /' "$T/d"
  fi
done

for page in "$DM_SOURCE_DIR"/tools/*/*.1 "$DM_SOURCE_DIR/docs/dm.7"; do
  warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warn" ] || fail "groff warns about ${page#"$DM_SOURCE_DIR"/}: $warn"
done

[ "$fails" = 0 ] && echo "man pages: every option and command of the $(echo $tools | wc -w) tools documented"
[ "$fails" = 0 ]

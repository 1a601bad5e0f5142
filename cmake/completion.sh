#!/usr/bin/env bash
# Writes bash and zsh completion for one dm tool from its --help.  The build runs it on each
# tool it has just built (cmake/install.cmake), so what is offered cannot drift from the options.
#   cmake/completion.sh TOOL BASH_OUT ZSH_OUT
# It reads what dm_cli_print_options writes (tools/common/options.c):
#   "  -X, --name ARG          help"   and   "      --name ARG          help"
# (ARG absent for a switch; a long name alone on its line has its help on the next) and, when the
# help has a "Commands:" section, its terms ("  plan        ...", "  debug net|app -- COMMAND").
# An option's ARG says what is offered for its value: FILE and PATH files, DIR folders, anything
# else (a number, a duration, a name) nothing.  Words that are no option are completed with the
# commands while none is given, then with the commands' second words (dm-cluster debug net|app),
# then with file names.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: completion.sh TOOL BASH_OUT ZSH_OUT" >&2; exit 2; }
tool=$1 bash_out=$2 zsh_out=$3
name=$(basename "$tool")
help=$("$tool" --help) || { echo "completion.sh: '$tool --help' failed" >&2; exit 1; }

# one line per option: opt US SHORT US LONG US ARG US DESCRIPTION, per command: cmd US WORD US
# SECOND (US, the unit separator: read keeps empty fields between non-blank separators)
parsed=$(printf '%s\n' "$help" | awk '
function flush() {
	if (long != "") print "opt\037" short "\037" long "\037" arg "\037" desc
	long = ""
}
function take(left, text,   n, w) {
	n = split(left, w, " ")
	arg = (n >= 2) ? w[2] : ""
	long = substr(w[1], 3)
	desc = text
}
/^Commands:/ { flush(); incmd = 1; next }
/^$/ { flush(); incmd = 0; next }
incmd && /^  [a-z]/ {
	line = substr($0, 3); term = line
	i = index(line, "  "); if (i) term = substr(line, 1, i - 1)
	n = split(term, w, " ")
	second = ""
	if (n >= 2 && w[2] ~ /^[a-z][a-z|-]*$/) second = w[2]
	print "cmd\037" w[1] "\037" second
	next
}
/^  -[A-Za-z0-9], --[a-z0-9]/ || /^      --[a-z0-9]/ {
	flush()
	short = ""
	line = $0
	if (line ~ /^  -/) { short = substr(line, 4, 1); line = substr(line, 7) } else line = substr(line, 7)
	i = index(line, "  ")
	if (i) take(substr(line, 1, i - 1), substr(line, i)); else take(line, "")
	sub(/^ +/, "", desc)
	next
}
long != "" && /^                          [^ ]/ {
	if (desc == "") { d = $0; sub(/^ +/, "", d); desc = d }
	next
}
{ flush() }
END { flush() }')

shorts=() longs=() args=() descs=() cmds=()
declare -A second=()
while IFS=$'\037' read -r kind a b c d; do
	case $kind in
	opt) shorts+=("$a") longs+=("$b") args+=("$c") descs+=("$d") ;;
	cmd) [[ " ${cmds[*]} " == *" $a "* ]] || cmds+=("$a")
	     for w in ${b//|/ }; do
		[[ " ${second[$a]:-} " == *" $w "* ]] || second[$a]+="${second[$a]:+ }$w"
	     done ;;
	esac
done <<<"$parsed"
[ ${#longs[@]} -gt 0 ] || { echo "completion.sh: no options found in '$tool --help'" >&2; exit 1; }

# what an option's value completes to: file, dir, or none
value_kind() {
	case $1 in
	'') echo switch ;;
	FILE|PATH) echo file ;;
	DIR) echo dir ;;
	*) echo none ;;
	esac
}

# --- bash: self-contained (no bash-completion helpers needed), loaded by bash-completion by name
fn=_${name//-/_}
all_opts='' file_opts='' dir_opts='' none_opts=''
for i in "${!longs[@]}"; do
	words="--${longs[i]}"
	[ -z "${shorts[i]}" ] || words+="|-${shorts[i]}"
	all_opts+=" --${longs[i]}"
	case $(value_kind "${args[i]}") in
	file) file_opts+="|$words" ;;
	dir) dir_opts+="|$words" ;;
	none) none_opts+="|$words" ;;
	esac
done
{
	echo "# bash completion for $name, generated from '$name --help' by dm's build (do not edit)"
	echo "$fn()"
	echo "{"
	echo "	local cur=\${COMP_WORDS[COMP_CWORD]} prev= i w cmd= skip=0"
	echo "	[ \"\$COMP_CWORD\" -gt 0 ] && prev=\${COMP_WORDS[COMP_CWORD-1]}"
	echo "	# --opt=value: bash splits it at '='"
	echo "	if [ \"\$cur\" = = ]; then prev=\${COMP_WORDS[COMP_CWORD-1]}; cur=;"
	echo "	elif [ \"\$prev\" = = ] && [ \"\$COMP_CWORD\" -gt 1 ]; then prev=\${COMP_WORDS[COMP_CWORD-2]}; fi"
	echo "	COMPREPLY=()"
	echo "	case \$prev in"
	[ -z "$file_opts" ] || echo "	${file_opts#|}) compopt -o filenames 2>/dev/null; COMPREPLY=(\$(compgen -f -- \"\$cur\")); return 0 ;;"
	[ -z "$dir_opts" ] || echo "	${dir_opts#|}) compopt -o filenames 2>/dev/null; COMPREPLY=(\$(compgen -d -- \"\$cur\")); return 0 ;;"
	[ -z "$none_opts" ] || echo "	${none_opts#|}) return 0 ;;"
	echo "	esac"
	echo "	if [[ \$cur == -* ]]; then"
	echo "		COMPREPLY=(\$(compgen -W '${all_opts# }' -- \"\$cur\"))"
	echo "		return 0"
	echo "	fi"
	if [ ${#cmds[@]} -gt 0 ]; then
		valued="${file_opts}${dir_opts}${none_opts}"
		echo "	# the command: the first word that is no option nor an option's value"
		echo "	for ((i = 1; i < COMP_CWORD; i++)); do"
		echo "		w=\${COMP_WORDS[i]}"
		echo "		if [ \$skip = 1 ]; then skip=0; continue; fi"
		echo "		case \$w in"
		echo "		--) break ;;"
		echo "		=) skip=1 ;;"
		[ -z "$valued" ] || echo "		${valued#|}) skip=1 ;;"
		echo "		-*) ;;"
		echo "		*) cmd=\$w; break ;;"
		echo "		esac"
		echo "	done"
		echo "	if [ -z \"\$cmd\" ]; then"
		echo "		COMPREPLY=(\$(compgen -W '${cmds[*]}' -- \"\$cur\"))"
		echo "		return 0"
		echo "	fi"
		if [ ${#second[@]} -gt 0 ]; then
			echo "	if [ \"\$i\" -eq \$((COMP_CWORD - 1)) ]; then"
			echo "		case \$cmd in"
			for c in "${cmds[@]}"; do
				[ -z "${second[$c]:-}" ] ||
					echo "		$c) COMPREPLY=(\$(compgen -W '${second[$c]}' -- \"\$cur\")); return 0 ;;"
			done
			echo "		esac"
			echo "	fi"
		fi
	fi
	echo "	compopt -o filenames 2>/dev/null"
	echo "	COMPREPLY=(\$(compgen -f -- \"\$cur\"))"
	echo "}"
	echo "complete -F $fn $name"
} >"$bash_out.tmp"
mv "$bash_out.tmp" "$bash_out"

# --- zsh: an _arguments spec per option
zq() { # a description fit for _arguments '...[DESC]...' in single quotes
	local d=$1
	d=${d%%;*}
	d=${d%% (*}
	d=${d//\'/}
	d=${d//[\[\]\\\`\$:]/}
	printf '%s' "$d"
}
{
	echo "#compdef $name"
	echo "# zsh completion for $name, generated from '$name --help' by dm's build (do not edit)"
	echo "_arguments -s -S \\"
	for i in "${!longs[@]}"; do
		l=${longs[i]} s=${shorts[i]} a=${args[i]} d=$(zq "${descs[i]}")
		case $(value_kind "$a") in
		switch) spec_l="--$l" spec_s="-$s" action='' ;;
		file) spec_l="--$l=" spec_s="-$s+" action=":$a:_files" ;;
		dir) spec_l="--$l=" spec_s="-$s+" action=":$a:_files -/" ;;
		none) spec_l="--$l=" spec_s="-$s+" action=":$a: " ;;
		esac
		# given more than once: what the help calls repeatable, and -v (-vv)
		rep=''
		case "${descs[i]}" in *repeat*) rep='*' ;; esac
		[ "$l" != verbose ] || rep='*'
		if [ -n "$s" ] && [ -n "$rep" ]; then
			echo "	'*'{'$spec_s','$spec_l'}'[$d]$action' \\"
		elif [ -n "$s" ]; then
			echo "	'(-$s --$l)'{'$spec_s','$spec_l'}'[$d]$action' \\"
		else
			echo "	'$rep$spec_l[$d]$action' \\"
		fi
	done
	if [ ${#cmds[@]} -gt 0 ]; then
		echo "	'1:command:(${cmds[*]})' \\"
	fi
	echo "	'*:file:_files'"
} >"$zsh_out.tmp"
mv "$zsh_out.tmp" "$zsh_out"

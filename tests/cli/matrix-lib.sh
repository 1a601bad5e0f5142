# Shared by tests/cli/matrix-*.sh: the bad-input matrix of docs/hardening.md.
#
# Each case runs one tool on one bad input and checks what a user sees:
#   - the exit code the docs give (0 ok, 1 failed, 2 usage, 3 bad configuration, 4 partial);
#   - one line that says what is wrong, in the tool's "TOOL: error: ..." form (usage errors may
#     add only "Try 'TOOL --help' for more information."; partial failures list one line per item and
#     a summary, every line "TOOL: ..."), equal to the expected text once the paths of this run are
#     replaced by placeholders (<tmp>, <src>, <api>, <s3>, <ns>);
#   - nothing on stdout unless the case says the command prints data there;
# and the case's own "nothing half-written" checks run right after it.
# The rows of docs/hardening.md are the specification, written by hand: each says what the
# user should see, never a copy of what a tool printed.  Every case turns its expected values
# (input, message, exit code: the arguments of mx, never the run's output) into a row
# "| ID | tool | input | `message` | exit |"; at the end these rows must be exactly the rows of
# docs/hardening.md with the script's ID prefix, so the script and the doc say the same, and
# each case checks that the tool does what they say.
set -uo pipefail
export LC_ALL=C   # byte-wise matching, and the C library's messages as the docs quote them
: "${DM_BIN:?run through ctest}" "${DM_SOURCE_DIR:?run through ctest}" "${DM_TEST_WORK:?run through ctest}"

T=$(mktemp -d "$DM_TEST_WORK/matrix.XXXXXX")
chmod 755 "$T"
MX_ROWS=$T/rows            # the rows the cases expect (compared with the doc)
MX_SEEN=$T/seen            # the same rows with what the tools printed and their exit codes
MX_RECORD_DIR=$DM_TEST_WORK/matrix   # kept after the run: matrix-doc.sh shows the doc against it
mkdir -p "$MX_RECORD_DIR"
: >"$MX_ROWS"
: >"$MX_SEEN"
mx_fails=0
mx_cases=0
MX_RUN=()
mx_cleanups=()
mx_cleanup() {
  local c
  for c in "${mx_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  rm -rf "$T"
}
trap mx_cleanup EXIT

# a private home and no user configuration leaking in
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config DM_ALIASES=$T/home/aliases.yaml MC_CONFIG_DIR=$T/home/mc
mkdir -p "$HOME"
unset DM_FLAVOUR KUBECONFIG AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
  KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT SSL_CERT_FILE DM_HELM DM_KUBECTL DM_MINIKUBE DM_MICROK8S \
  DM_NVML_LIBRARY DM_CUDA_LIBRARY DM_FAKE_NVIDIA_SCENARIO 2>/dev/null || true
for v in $(env | sed -n 's/^\(MC_HOST_[^=]*\)=.*/\1/p'); do unset "$v"; done

fail() { echo "FAIL: $*"; mx_fails=$((mx_fails + 1)); }
ok() { echo "ok: $*"; }

# Placeholders for what changes from run to run; more with mx_placeholder TEXT NAME.
mx_subst=()
mx_placeholder() { [ -n "$1" ] && mx_subst+=("$1" "$2"); }
mx_placeholder "$T" "<tmp>"
mx_placeholder "$DM_SOURCE_DIR" "<src>"
mx_placeholder "$DM_BIN" "<bin>"
mx_placeholder $'\xff' '\xff'   # a byte that is not UTF-8, written so the doc stays UTF-8
mx_normalize() { # stdin -> stdout; the longest placeholder first (paths nest)
  local text i j n=${#mx_subst[@]} order=()
  text=$(cat)
  for ((i = 0; i < n; i += 2)); do order+=("${#mx_subst[i]} $i"); done
  while read -r _ j; do
    text=${text//"${mx_subst[j]}"/"${mx_subst[j + 1]}"}
  done < <(printf '%s\n' "${order[@]}" | sort -rn)
  # curl's "after N ms", dm-seed's time and rate and dm-helm's time of a component vary with the
  # machine's load
  printf '%s\n' "$text" | sed -E 's/ after [0-9]+ ms/ after <n> ms/g; s/ in [0-9]+\.[0-9]+ s, [0-9]+\.[0-9] MiB\/s$/ in <s> s, <r> MiB\/s/
    s/: (failed|interrupted) after [0-9]+\.[0-9] s: /: \1 after <s> s: /'
}

# mx ID TOOL RC 'INPUT' 'MESSAGE' [OPTIONS --] ARGS...
#   OPTIONS: out     the command prints data on stdout by design (not checked)
#            report  dm-gpu: the message is its one "dm-gpu: error: [code] ..." line on stderr (its
#                    report, on stdout, is data)
#            partial the message is one of several "TOOL: ..." lines (exit 4 listings)
#            warning as partial, and the message is a "TOOL: warning: ..." line (a run that goes on)
#            summary a run that succeeds: the message is one of its "TOOL: ..." lines (dm-seed's
#                    summary, a step dm-helm reports), neither an error nor a warning
#            silent  a run that succeeds and prints nothing on stderr: the message is "(nothing)"
#            yaml    the message must point at FILE:LINE:COLUMN
#            known=TEXT  a defect reported but not fixed yet: the exit code and message are
#                    checked as they are today, the form check is skipped, TEXT goes in the row
# Runs "$DM_BIN/TOOL ARGS" (or MX_RUN=(prefix...) "$DM_BIN/TOOL" ARGS) with stdout in $T/out
# and stderr in $T/err.
mx() {
  local id=$1 tool=$2 want=$3 input=$4 msg=$5 rc=0 o opt_out=0 opt_report=0 opt_partial=0 opt_yaml=0 opt_warning=0 known=''
  local opt_summary=0 opt_silent=0
  shift 5
  local a has_opts=0
  # a loop, not printf | grep -q: under pipefail grep's early exit can kill printf (SIGPIPE)
  # and make the options look absent
  for a in "$@"; do [ "$a" = -- ] && { has_opts=1; break; }; done
  if [ "$has_opts" = 1 ]; then
    while [ "$1" != -- ]; do
      case "$1" in
        out) opt_out=1 ;; report) opt_report=1 ;; partial) opt_partial=1 ;; yaml) opt_yaml=1 ;;
        warning) opt_partial=1; opt_warning=1 ;;
        summary) opt_partial=1; opt_summary=1 ;;
        silent) opt_silent=1 ;;
        known=*) known=${1#known=} ;;
        *) echo "matrix: bad option '$1' in case $id" >&2; exit 2 ;;
      esac
      shift
    done
    shift
  fi
  mx_cases=$((mx_cases + 1))
  "${MX_RUN[@]}" "$DM_BIN/$tool" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
  local errn outn line got bad=''
  errn=$(wc -l <"$T/err")
  [ "$rc" = "$want" ] || bad="exit $rc, wanted $want"
  if [ "$opt_silent" = 1 ]; then
    line='(nothing)'
    [ "$errn" = 0 ] || { bad="${bad:+$bad; }$errn lines on stderr, wanted none"; line=$(head -n 1 "$T/err"); }
  elif [ "$opt_report" = 1 ]; then
    line=$(grep "^$tool: error: \[" "$T/err" | head -n 2)
    [ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || bad="${bad:+$bad; }report has $(printf '%s\n' "$line" | grep -c .) error lines"
    grep -aqv "^$tool: " "$T/err" && bad="${bad:+$bad; }a stderr line without '$tool: '"
  elif [ "$opt_partial" = 1 ]; then
    line=$(grep -axF -- "$(printf '%s' "$msg")" <(mx_normalize <"$T/err") | head -n 1)
    grep -aqv "^$tool: " "$T/err" && bad="${bad:+$bad; }a stderr line without '$tool: '"
  else
    line=$(head -n 1 "$T/err")
    if [ "$want" = 2 ]; then
      [ "$errn" = 1 ] || { [ "$errn" = 2 ] && [ "$(sed -n 2p "$T/err")" = "Try '$tool --help' for more information." ]; } ||
        bad="${bad:+$bad; }usage error should be the message, and at most the --help hint ($errn lines)"
    else
      [ "$errn" = 1 ] || bad="${bad:+$bad; }$errn lines on stderr, wanted 1"
    fi
  fi
  [ "$opt_out" = 1 ] || [ "$opt_report" = 1 ] || [ ! -s "$T/out" ] || bad="${bad:+$bad; }stdout not empty"
  got=$(printf '%s' "$line" | mx_normalize)
  [ "$got" = "$msg" ] || bad="${bad:+$bad; }message differs"
  if [ -z "$known" ]; then
    if [ "$opt_silent" = 1 ]; then
      :
    elif [ "$opt_summary" = 1 ]; then
      case "$line" in "$tool: error: "* | "$tool: warning: "*) bad="${bad:+$bad; }an error or warning, not a summary" ;; esac
    elif [ "$opt_report" = 1 ]; then
      case "$line" in "$tool: error: ["*) ;; *) bad="${bad:+$bad; }not a '$tool: error: [code]' line" ;; esac
    elif [ "$opt_warning" = 1 ]; then
      case "$line" in "$tool: warning: "*) ;; *) bad="${bad:+$bad; }not in the '$tool: warning: ' form" ;; esac
    else
      case "$line" in "$tool: error: "*) ;; *) bad="${bad:+$bad; }not in the '$tool: error: ' form" ;; esac
    fi
  fi
  if [ "$opt_yaml" = 1 ] && ! printf '%s' "$line" | grep -Eq '[^ :]+:[0-9]+:[0-9]+: '; then
    bad="${bad:+$bad; }no FILE:LINE:COLUMN"
  fi
  if [ -n "$bad" ]; then
    fail "$id $tool ($input): $bad"
    echo "  want: $msg"
    echo "  got:  $got"
    sed 's/^/  stderr: /' "$T/err" | mx_normalize | head -n 8
    [ "$opt_out" = 1 ] || sed 's/^/  stdout: /' "$T/out" | mx_normalize | head -n 5
  else
    ok "$id $tool ($input): exit $rc"
  fi
  # the expected row, as docs/hardening.md must have it ('|' escaped for the table), and the
  # row of what this run saw, for review (tests/cli/matrix-doc.sh)
  [ -n "$known" ] && input="$input (known defect: $known)"
  printf '| %s | %s | %s | `%s` | %s |\n' "$id" "$tool" "${input//|/\\|}" "${msg//|/\\|}" "$want" >>"$MX_ROWS"
  printf '| %s | %s | %s | `%s` | %s |\n' "$id" "$tool" "${input//|/\\|}" "${got//|/\\|}" "$rc" >>"$MX_SEEN"
}

# check COND-COMMAND... DESCRIPTION: one of a case's "nothing half-written" checks
check() {
  local what=${*: -1}
  if "${@:1:$#-1}"; then ok "  $what"; else fail "  $what"; fi
}
same_file() { cmp -s "$1" "$2"; }
not() { ! "$@"; }
only_files() { # DIR NAME...: DIR holds exactly these names
  [ "$(cd "$1" && ls -A | sort | tr '\n' ' ')" = "$(printf '%s\n' "${@:2}" | sort | tr '\n' ' ')" ]
}

# mx_finish PREFIX: the expected rows of this script against the doc, then the verdict
mx_finish() {
  local prefix=$1 doc=$DM_SOURCE_DIR/docs/hardening.md
  cp "$MX_SEEN" "$MX_RECORD_DIR/$prefix.rows"
  if [ ! -f "$doc" ]; then
    fail "no docs/hardening.md"
  else
    grep -E "^\| $prefix[0-9]+ \|" "$doc" | sort >"$T/doc-rows"
    sort "$MX_ROWS" >"$T/run-rows"
    if cmp -s "$T/doc-rows" "$T/run-rows"; then
      ok "docs/hardening.md has exactly the $(wc -l <"$T/run-rows") $prefix rows this script expects"
    else
      fail "docs/hardening.md rows $prefix* differ from the cases of this script (< doc, > script): correct the one that is wrong, by hand"
      diff "$T/doc-rows" "$T/run-rows" | grep '^[<>]' | head -n 40
    fi
  fi
  echo "figures: $mx_cases cases, $mx_fails failed"
  [ "$mx_fails" = 0 ] || exit 1
}

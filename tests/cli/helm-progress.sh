#!/usr/bin/env bash
# What dm-helm shows while it works, against the test bed's real API server with real helm:
# - install/uninstall: a line on stderr as each component starts and ends, with its time, a
#   failure as one error line with its time and reason, in the order things happened, each line
#   whole with -j; -q: the error alone; --ndjson: the same events as JSON lines on stdout, then
#   the --json document on one line;
# - status of 21 components: queried at once (8 at a time: helm runs are logged by a wrapper
#   around the real helm), one row per component in the flavour's order, nothing repeated on
#   stderr, one warning line for a component whose query fails (no right to read its
#   namespace; the cluster unreachable), exit 4.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"

work=$(mktemp -d "$DM_TEST_WORK/helm-progress.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
unset DM_FLAVOUR
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
K=$DM_TEST_KUBECTL
H=$DM_TEST_HELM
ns=dm-fx-progress
closed=dm-fx-progress-closed
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
show() { sed 's/^/  stderr: /' "$work/err"; sed 's/^/  stdout: /' "$work/out"; }
# run: stdout to $work/out, stderr to $work/err, exit code to $rc, seconds to $took
run() {
  local t0
  t0=$(date +%s.%N)
  "$DM_BIN/dm-helm" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  took=$(echo "$(date +%s.%N) - $t0" | bc)
}
expect_rc() { # WANT WHAT
  if [ "$rc" -ne "$1" ]; then fail "$2: exit $rc, wanted $1"; show; else ok "$2 (exit $rc)"; fi
}
# stderr with each component's time as <s>
normalized_err() { sed -E 's/ (in|after) [0-9]+\.[0-9] s/ \1 <s> s/' "$work/err"; }

# A clean start, also on a test bed that an earlier run used (the test bed runs no namespace
# controller: a deleted namespace stays Terminating until its finalizer is cleared by hand)
for n in "$ns" "$closed"; do
  $K get namespace "$n" >/dev/null 2>&1 || continue
  $K delete configmaps,secrets,deployments,roles,rolebindings --all -n "$n" --wait=false >/dev/null 2>&1
  $K delete namespace "$n" --wait=false >/dev/null 2>&1
  $K get namespace "$n" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin); d["spec"]["finalizers"] = []; print(json.dumps(d))' |
    $K replace --raw "/api/v1/namespaces/$n/finalize" -f - >/dev/null 2>&1
  for _ in $(seq 1 50); do $K get namespace "$n" >/dev/null 2>&1 || break; sleep 0.1; done
  $K get namespace "$n" >/dev/null 2>&1 && { echo "FAIL: cannot remove namespace $n left by an earlier run"; exit 1; }
done

# The platform: p-a, p-b (needs p-a), p-bad (never ready, timeout 5s), p-after (needs p-bad);
# m-01 ... m-20 and m-closed (in a namespace that the user of the status check may not read)
P=$work/plat
mkdir -p "$P/components" "$P/flavours" "$P/charts"
cp -r "$DM_SOURCE_DIR/tests/fixtures/charts/fx-other" "$DM_SOURCE_DIR/tests/fixtures/charts/fx-deploy" "$P/charts/"
comp() { # NAME CHART EXTRA
  mkdir -p "$P/components/$1"
  printf 'name: %s\nkind: helm\nrelease: %s\nchart:\n  path: ../../charts/%s\nwait: true\n%b' \
    "$1" "$1" "$2" "$3" >"$P/components/$1/config.yaml"
}
comp p-a fx-other 'timeout: 1m\n'
comp p-b fx-other 'timeout: 1m\nneeds: [p-a]\n'
comp p-bad fx-deploy 'timeout: 5s\n'
comp p-after fx-other 'timeout: 1m\nneeds: [p-bad]\n'
many=""
for i in $(seq -w 1 20); do
  comp "m-$i" fx-other 'timeout: 1m\n'
  many="$many${many:+, }m-$i"
done
comp m-closed fx-other "timeout: 1m\nnamespace: $closed\n"
printf 'project:\n  k8s_namespace: %s\n  flavour: [p-a, p-b, p-bad, p-after]\n' "$ns" >"$P/flavours/prog.yaml"
printf 'project:\n  k8s_namespace: %s\n  flavour: [%s, m-closed]\n' "$ns" "$many" >"$P/flavours/many.yaml"
F=(-f "$P/flavours/prog.yaml")

# --- install: a line as each component starts and ends, in the order of the events -----------
run "${F[@]}" install
expect_rc 4 "install prog.yaml (p-bad fails)"
want="dm-helm: p-a: installing ...
dm-helm: p-a: installed in <s> s
dm-helm: p-b: installing ...
dm-helm: p-b: installed in <s> s
dm-helm: p-bad: installing ...
dm-helm: error: p-bad: failed after <s> s: helm upgrade --install p-bad failed: Error: context deadline exceeded
dm-helm: warning: p-after: skipped: needs 'p-bad', which failed
dm-helm: install: 2 installed, 1 failed, 1 skipped: p-bad (failed), p-after (skipped)"
got=$(normalized_err)
[ "$got" = "$want" ] && ok "install: start and end lines in order, the failure with its time and reason" ||
  { fail "install: stderr"; diff <(echo "$want") <(echo "$got") | sed 's/^/  /'; }
[ ! -s "$work/out" ] && ok "install: nothing on stdout" || fail "install: stdout not empty"
# the times are what happened: p-bad's 5 s timeout, and no more than the run took
bad=$(sed -nE 's/^dm-helm: error: p-bad: failed after ([0-9.]+) s: .*/\1/p' "$work/err")
sum=$(sed -nE 's/^dm-helm: (p-a|p-b): installed in ([0-9.]+) s$/\2/p' "$work/err" | paste -sd+ | bc)
awk -v b="${bad:-0}" -v s="${sum:-99}" -v t="$took" 'BEGIN { exit !(b >= 5 && b + s <= t + 0.2) }' &&
  ok "times: p-bad ${bad} s (timeout 5s), p-a + p-b ${sum} s, run ${took} s" ||
  fail "times: p-bad '${bad}' s, p-a + p-b '${sum}' s, run ${took} s"

# -q: the error alone
run "${F[@]}" install -q
expect_rc 4 "install -q"
[ "$(wc -l <"$work/err")" = 1 ] &&
  grep -qE "^dm-helm: error: p-bad: failed after [0-9]+\.[0-9] s: helm upgrade --install p-bad failed: " "$work/err" &&
  ok "install -q: one line, the error" || { fail "install -q: stderr"; show; }

# --ndjson: the events as JSON lines on stdout, then the document on one line
run "${F[@]}" install --ndjson
expect_rc 4 "install --ndjson"
[ "$(normalized_err | sed -n 1,2p)" = "dm-helm: p-a: installing ...
dm-helm: p-a: installed in <s> s" ] && ok "install --ndjson: the lines on stderr too" || { fail "install --ndjson: stderr"; show; }
python3 - "$work/out" <<'EOF' && ok "install --ndjson: started/installed/failed/skipped events with elapsed_ms, then the document" || { fail "install --ndjson: stdout"; show; }
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = [json.loads(l) for l in lines]  # every line is one JSON object
doc = ev.pop()
assert [(e["event"], e["component"]) for e in ev] == [
    ("started", "p-a"), ("installed", "p-a"), ("started", "p-b"), ("installed", "p-b"),
    ("started", "p-bad"), ("failed", "p-bad"), ("skipped", "p-after")], ev
assert list(ev[0]) == ["event", "component"], ev[0]
ends = {e["component"]: e for e in ev if e["event"] != "started"}
for c in ("p-a", "p-b", "p-bad"):
    assert isinstance(ends[c]["elapsed_ms"], int) and ends[c]["elapsed_ms"] >= 0, ends[c]
assert ends["p-bad"]["elapsed_ms"] >= 5000, ends["p-bad"]
assert ends["p-bad"]["detail"].startswith("helm upgrade --install p-bad failed: "), ends["p-bad"]
assert "elapsed_ms" not in ends["p-after"] and ends["p-after"]["detail"] == "skipped: needs 'p-bad', which failed"
# the last line is the --json document: the same outcomes and times
assert doc["action"] == "install" and doc["ok"] is False, doc
outcome = {c["component"]: c for c in doc["components"]}
for c, e in ends.items():
    assert outcome[c]["outcome"] == e["event"], (c, outcome[c], e)
    if "elapsed_ms" in e:
        assert abs(outcome[c]["seconds"] * 1000 - e["elapsed_ms"]) <= 1, (outcome[c], e)
EOF
# --json alone: one document, not lines
run "${F[@]}" install --json -q
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["action"] == "install"' "$work/out" &&
  [ "$(wc -l <"$work/out")" -gt 1 ] && ok "install --json: one indented document, no events" || { fail "install --json"; show; }
run "${F[@]}" status --ndjson
expect_rc 2 "status --ndjson"
[ "$(head -n 1 "$work/err")" = "dm-helm: error: --ndjson goes with install and uninstall (status and images: --json)" ] &&
  ok "--ndjson with status: usage error" || { fail "--ndjson with status"; show; }

# --- -j 3: the lines of components that run at once interleave, each whole -----------------------
run -f "$P/flavours/many.yaml" install -j 3 m-01 m-02 m-03 m-04 m-05 m-06
expect_rc 0 "install -j 3 of 6 components"
python3 - "$work/err" <<'EOF' && ok "-j 3: every line whole, one start then one end per component, 3 at once" || { fail "-j 3 lines"; show; }
import re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines.pop() == "", "the last line does not end with a newline"
assert lines.pop() == "dm-helm: install: 6 installed", lines
seen, running, most = {}, 0, 0
for l in lines:
    m = re.fullmatch(r"dm-helm: (m-\d\d): (installing \.\.\.|installed in \d+\.\d s)", l)
    assert m, f"not a whole line: {l!r}"
    seen.setdefault(m.group(1), []).append(m.group(2)[:10])
    running += 1 if m.group(2).startswith("installing") else -1
    most = max(most, running)
assert sorted(seen) == [f"m-0{i}" for i in range(1, 7)], seen
assert all(v == ["installing", "installed "] for v in seen.values()), seen
assert most == 3, f"at most {most} at once, -j 3"
EOF

# --- uninstall: the same lines, in reverse order --------------------------------------------
run "${F[@]}" uninstall
expect_rc 0 "uninstall prog.yaml"
want="dm-helm: p-after: uninstalling ...
dm-helm: p-after: uninstalled in <s> s
dm-helm: p-bad: uninstalling ...
dm-helm: p-bad: uninstalled in <s> s
dm-helm: p-b: uninstalling ...
dm-helm: p-b: uninstalled in <s> s
dm-helm: p-a: uninstalling ...
dm-helm: p-a: uninstalled in <s> s
dm-helm: uninstall: 4 uninstalled"
[ "$(normalized_err)" = "$want" ] && ok "uninstall: start and end lines in reverse order" ||
  { fail "uninstall: stderr"; diff <(echo "$want") <(normalized_err) | sed 's/^/  /'; }
run "${F[@]}" uninstall -q
[ "$rc" = 0 ] && [ ! -s "$work/err" ] && ok "uninstall -q: nothing on stderr" || { fail "uninstall -q"; show; }

# --- status: 21 components, queried at once, each row once --------------------------------------
# m-01 ... m-10 installed, the others not; the wrapper logs when each real helm run starts and ends
run -f "$P/flavours/many.yaml" install -q -j 4 m-07 m-08 m-09 m-10
expect_rc 0 "install m-07 ... m-10"
cat >"$work/helm-logged" <<EOF
#!/usr/bin/env bash
# the test bed's helm, with when each run starts and ends
echo "start \$\$ \$(date +%s%N)" >>"$work/helm-runs"
"$H" "\$@"
rc=\$?
echo "end \$\$ \$(date +%s%N)" >>"$work/helm-runs"
exit \$rc
EOF
chmod +x "$work/helm-logged"
# most_at_once: the largest number of helm runs that overlapped, from the wrapper's log
most_at_once() {
  python3 -c '
import sys
ev = sorted((int(t), 1 if w == "start" else -1) for w, _, t in (l.split() for l in open(sys.argv[1])))
n = most = 0
for _, d in ev:
    n += d; most = max(most, n)
print(most, sum(1 for _, d in ev if d > 0))' "$work/helm-runs"
}
rows_want=$(for i in $(seq -w 1 20); do
  if [ "$i" -le 10 ]; then echo "m-$i deployed"; else echo "m-$i not installed"; fi
done)
rows() { # the rows of the table: COMPONENT STATUS
  sed 1d "$work/out" | sed -E 's/^([a-z0-9-]+) +helm +[a-z0-9-]+ +(deployed|not installed|unknown) +.*/\1 \2/'
}
rm -f "$work/helm-runs"
run -f "$P/flavours/many.yaml" --helm "$work/helm-logged" status
expect_rc 4 "status of 21 components, 11 not installed"
[ "$(rows)" = "$rows_want
m-closed not installed" ] && ok "status: one row per component, in the flavour's order" || { fail "status rows"; show; }
[ "$(head -n 1 "$work/out" | awk '{ print $1 }')" = COMPONENT ] && [ "$(grep -c '^COMPONENT' "$work/out")" = 1 ] &&
  ok "status: one header" || fail "status: header"
[ ! -s "$work/err" ] && ok "status: nothing repeated on stderr (the rows say 'not installed')" || { fail "status: stderr"; show; }
read -r most n < <(most_at_once)
[ "$n" = 21 ] && [ "$most" -ge 2 ] && [ "$most" -le 8 ] && ok "status: 21 helm runs, up to $most at once (at most 8), ${took} s" ||
  fail "status: $n helm runs, $most at once"
rm -f "$work/helm-runs"
run -f "$P/flavours/many.yaml" --helm "$work/helm-logged" -j 1 status
read -r most n < <(most_at_once)
[ "$rc" = 4 ] && [ "$n" = 21 ] && [ "$most" = 1 ] && ok "status -j 1: one at a time (${took} s)" || fail "status -j 1: $n runs, $most at once"

# a user who may read the releases of $ns but not those of $closed: m-closed's query fails
$K create role helm-status --verb=get,list --resource=secrets -n "$ns" >/dev/null &&
  $K create rolebinding helm-status --role=helm-status --user="$DM_TEST_K8S_USER" -n "$ns" >/dev/null ||
  fail "cannot create the Role for $DM_TEST_K8S_USER"
run -f "$P/flavours/many.yaml" --kubeconfig "$DM_TEST_KUBECONFIG_USER" status
expect_rc 4 "status as $DM_TEST_K8S_USER"
[ "$(rows)" = "$rows_want
m-closed unknown" ] && ok "status: m-closed unknown, the others as before" || { fail "status rows as $DM_TEST_K8S_USER"; show; }
[ "$(wc -l <"$work/err")" = 1 ] &&
  grep -qE "^dm-helm: warning: m-closed: helm status failed: Error: .*forbidden: User \"$DM_TEST_K8S_USER\" cannot list resource \"secrets\" .*\"$closed\"$" "$work/err" &&
  ok "status: one warning line, for m-closed, with helm's reason" || { fail "status: m-closed's warning"; show; }
run -f "$P/flavours/many.yaml" --kubeconfig "$DM_TEST_KUBECONFIG_USER" status -q
[ "$rc" = 4 ] && [ ! -s "$work/err" ] && [ "$(rows | wc -l)" = 21 ] && ok "status -q: the table, nothing on stderr" || { fail "status -q"; show; }

# the cluster unreachable: every row unknown, one line for each component
sed "s|server: .*|server: https://127.0.0.1:9|" "$KUBECONFIG" >"$work/kc-closed"
run -f "$P/flavours/many.yaml" --kubeconfig "$work/kc-closed" status
expect_rc 4 "status, the cluster unreachable"
[ "$(rows | grep -c ' unknown$')" = 21 ] && [ "$(rows | wc -l)" = 21 ] && ok "unreachable: 21 rows, each unknown" || { fail "unreachable: rows"; show; }
python3 - "$work/err" <<'EOF' && ok "unreachable: one warning line per component, in order" || { fail "unreachable: stderr"; show; }
import re, sys
lines = open(sys.argv[1]).read().splitlines()
names = [f"m-{i:02d}" for i in range(1, 21)] + ["m-closed"]
assert len(lines) == 21, len(lines)
for name, l in zip(names, lines):
    assert re.fullmatch(rf"dm-helm: warning: {name}: helm status failed: Error: Kubernetes cluster unreachable: .*127\.0\.0\.1:9.*", l), l
EOF

run -f "$P/flavours/many.yaml" uninstall -q -j 4
expect_rc 0 "uninstall many.yaml"
"$H" list -n "$ns" -q | grep -q . && fail "releases left in $ns: $("$H" list -n "$ns" -q)" || ok "no release left"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all dm-helm progress and status checks passed"

#!/usr/bin/env bash
# dm-helm against the real API server of the fixture "k8s" (IDs H..), with real helm and kubectl:
#   - --delete-namespace never deletes a namespace that holds another component's release, one
#     that dm did not create, or one that holds an object dm did not create;
#   - values files that resolve outside the platform root and the config folder are refused;
#   - SIGINT/SIGTERM during an install (to dm-helm alone or to its process group) stop helm,
#     leave no secret file in $TMPDIR and no helm running, print what was done, exit 130;
#   - `set` values holding ',', '{', '}', '=', '.', '[', ']' and '\' reach the release byte for byte.
# See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
ADMIN=$KUBECONFIG
export KUBECONFIG=$ADMIN
H=$DM_TEST_HELM
kc() { "$DM_TEST_KUBECTL" --kubeconfig "$ADMIN" "$@" 2>/dev/null; }
export DM_HELM=$H DM_KUBECTL=$DM_TEST_KUBECTL
export HELM_CACHE_HOME=$T/helm/cache HELM_CONFIG_HOME=$T/helm/config HELM_DATA_HOME=$T/helm/data
export TMPDIR=$T/tmpdir
mkdir -p "$TMPDIR"
id=$$-$RANDOM
ns=mxh-$id        # made by dm
fns=mxh-f-$id     # made by someone else
mx_placeholder "$ns" "<ns>"
mx_placeholder "$fns" "<foreign-ns>"
# the test bed runs no namespace controller: a deleted namespace stays Terminating, emptied by hand
mx_cleanups+=("for n in $ns $fns; do \"$H\" --kubeconfig '$ADMIN' list -n \$n -q -a | xargs -r -n1 \"$H\" --kubeconfig '$ADMIN' uninstall -n \$n; done")
mx_cleanups+=("\"$DM_TEST_KUBECTL\" --kubeconfig '$ADMIN' delete namespace $ns $fns --wait=false --ignore-not-found")
helm_pids() { pgrep -f -- "$H upgrade --install $1 " || true; }

P=$T/plat
mkdir -p "$P/flavours" "$P/components"
chart() { echo "$DM_SOURCE_DIR/tests/fixtures/charts/$1"; }
# comp NAME CHART [EXTRA...]: a helm component in namespace $ns unless EXTRA says otherwise
comp() {
  local name=$1 ch=$2
  shift 2
  mkdir -p "$P/components/$name"
  { printf 'name: %s\nchart:\n  path: %s\n' "$name" "$(chart "$ch")"
    printf '%b' "$@"; } >"$P/components/$name/config.yaml"
}
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n' "$ns" >"$P/flavours/f.yaml"
comp ha fx-base
comp hb fx-other
comp hf fx-base "namespace: $fns\n"
F=(-f "$P/flavours/f.yaml")

# --- --delete-namespace ------------------------------------------------------------------------
kc create namespace "$fns" >/dev/null || { echo "FAIL: cannot create namespace $fns"; exit 1; }
"$DM_BIN/dm-helm" "${F[@]}" install ha hb hf >"$T/install.out" 2>&1 || { echo "FAIL: install"; cat "$T/install.out"; exit 1; }
check [ "$(kc get namespace "$ns" -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}')" = dm ] \
  "the namespace that dm-helm created is labelled app.kubernetes.io/managed-by=dm"
check [ -z "$(kc get namespace "$fns" -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}')" ] \
  "a namespace that existed keeps its labels"
released() { "$H" status "$1" -n "$2" >/dev/null 2>&1; }
mx H01 dm-helm 1 "uninstall --delete-namespace: another component's release lives there" \
  "dm-helm: error: namespace '<ns>' still holds Helm release 'hb', which is not being uninstalled: --delete-namespace deletes nothing" \
  -- "${F[@]}" uninstall --delete-namespace ha
check released ha "$ns" "H01: nothing uninstalled (ha still installed)"
check released hb "$ns" "H01: hb still installed"
check [ "$(kc get namespace "$ns" -o 'jsonpath={.status.phase}')" = Active ] "H01: namespace kept"
mx H02 dm-helm 1 "uninstall --delete-namespace: a namespace that dm did not create" \
  "dm-helm: error: namespace '<foreign-ns>' was not created by dm (no label app.kubernetes.io/managed-by=dm): --delete-namespace deletes nothing" \
  -- "${F[@]}" uninstall --delete-namespace hf
check released hf "$fns" "H02: nothing uninstalled (hf still installed)"
check [ "$(kc get namespace "$fns" -o 'jsonpath={.status.phase}')" = Active ] "H02: namespace kept"
# an object of someone else's in dm's namespace: the uninstall runs, the namespace stays
kc -n "$ns" create configmap user-notes --from-literal=keep=me >/dev/null
mx H03 dm-helm 1 "uninstall --delete-namespace: an object dm did not create lives there" \
  "dm-helm: error: namespace '<ns>' not deleted: it holds 1 object that dm did not create: ConfigMap/user-notes" \
  partial -- "${F[@]}" uninstall --delete-namespace ha hb
check not released ha "$ns" "H03: ha uninstalled"
check [ "$(kc get namespace "$ns" -o 'jsonpath={.status.phase}')" = Active ] "H03: namespace kept"
check [ "$(kc -n "$ns" get configmap user-notes -o 'jsonpath={.data.keep}')" = me ] "H03: the object is intact"
kc -n "$ns" delete configmap user-notes >/dev/null

# --- values files outside the platform -----------------------------------------------------------
printf 'data:\n  from: outside\n' >"$T/outside.yaml"
comp hv fx-base "values: [$T/outside.yaml]\n"
mx H10 dm-helm 3 "values: an absolute path outside the platform root and the config folder" \
  "dm-helm: error: <tmp>/plat/components/hv/config.yaml:4:10: values file '<tmp>/outside.yaml' is outside the platform root '<tmp>/plat' and the config folder '<tmp>/plat/flavours' (it is '<tmp>/outside.yaml')" \
  yaml -- "${F[@]}" plan hv
ln -s "$T/outside.yaml" "$P/components/hv/linked.yaml"
comp hv fx-base "values:\n  - linked.yaml\n"
mx H11 dm-helm 3 "values: a symlink in the component folder to a file outside" \
  "dm-helm: error: <tmp>/plat/components/hv/config.yaml:5:5: values file 'linked.yaml' is outside the platform root '<tmp>/plat' and the config folder '<tmp>/plat/flavours' (it is '<tmp>/outside.yaml')" \
  yaml -- "${F[@]}" plan hv
rm -rf "$P/components/hv"

# --- interrupts --------------------------------------------------------------------------------
# hi1 installs at once; hi2 waits for a Deployment that never becomes ready (no node, an image
# that cannot be pulled) and gets a generated key through its secret values.
comp hi1 fx-base
comp hi2 fx-deploy "needs: [hi1]\nwait: true\ntimeout: 5m\nsecrets:\n  - name: hi2-keys\n    keys: [k]\nset:\n  data.key: \${secrets.hi2-keys.k}\n"
# interrupt.sh SIGNAL self|group PROG ARGS...: runs PROG, sends SIGNAL to it (or to its process
# group) once helm installs hi2, and exits with PROG's exit code
# (job control on: the program leads a process group of its own and, unlike a background
# command of a plain script, does not start with SIGINT ignored)
cat >"$T/interrupt.sh" <<EOF
#!/usr/bin/env bash
set -m
sig=\$1 whom=\$2; shift 2
"\$@" &
pid=\$!
for _ in \$(seq 1 600); do
  [ -n "\$(pgrep -f -- "$H upgrade --install hi2 ")" ] && break
  sleep 0.1
done
sleep 0.5
if [ "\$whom" = group ]; then kill -"\$sig" -- "-\$pid"; else kill -"\$sig" "\$pid"; fi
wait "\$pid"
EOF
failed_or_none() { [ "$1" = failed ] || [ "$1" = none ]; }
interrupted_cleanly() { # CASE
  local left pids key
  check grep -qxF "dm-helm: install interrupted: 1 installed (hi1), 1 interrupted (hi2)" "$T/err" \
    "$1: the last line says what was installed and what was interrupted"
  check [ "$(tail -n 1 "$T/err")" = "dm-helm: install interrupted: 1 installed (hi1), 1 interrupted (hi2)" ] \
    "$1: ... as the last line"
  left=$(ls -A "$TMPDIR")
  check [ -z "$left" ] "$1: nothing left in \$TMPDIR ($left)"
  pids=$(helm_pids hi2)
  check [ -z "$pids" ] "$1: no helm left running ($pids)"
  # shellcheck disable=SC2086 # a list of pids
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  key=$(kc -n "$ns" get secret hi2-keys -o 'jsonpath={.data.k}' | base64 -d)
  check [ -n "$key" ] "$1: the generated key exists"
  check not grep -qF -- "$key" "$T/out" "$T/err" "$1: the key is not in the output"
  check released hi1 "$ns" "$1: hi1 installed"
  # helm took the TERM: the release is marked failed (an upgrade replaces it), or was not
  # recorded yet (a loaded machine), never left pending
  st=$("$H" status hi2 -n "$ns" -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["info"]["status"])' 2>/dev/null)
  check failed_or_none "${st:-none}" "$1: hi2's release is failed or absent (${st:-none}), not pending"
  "$H" uninstall hi2 -n "$ns" >/dev/null 2>&1
}
MX_RUN=(bash "$T/interrupt.sh" INT self)
mx H20 dm-helm 130 "install: SIGINT to dm-helm while helm waits" \
  "dm-helm: error: hi2: interrupted after <s> s: helm upgrade --install hi2 was stopped" \
  partial -- "${F[@]}" install hi1 hi2
interrupted_cleanly H20
MX_RUN=(bash "$T/interrupt.sh" TERM group)
mx H21 dm-helm 130 "install: SIGTERM to dm-helm's process group while helm waits" \
  "dm-helm: error: hi2: interrupted after <s> s: helm upgrade --install hi2 was stopped" \
  partial -- "${F[@]}" install hi1 hi2
interrupted_cleanly H21
MX_RUN=(bash "$T/interrupt.sh" INT group)
mx H22 dm-helm 130 "install: SIGINT to dm-helm's process group (^C) while helm waits" \
  "dm-helm: error: hi2: interrupted after <s> s: helm upgrade --install hi2 was stopped" \
  partial -- "${F[@]}" install hi1 hi2
interrupted_cleanly H22
MX_RUN=()

# --- set values reach the release byte for byte --------------------------------------------------
# quoted (--set-string) and plain (--set): every character helm's --set parser gives a meaning
comp hs fx-base
cat >>"$P/components/hs/config.yaml" <<'EOF'
set:
  data.brace: "{a,b}"
  data.open: "{x"
  data.mixed: 'x=1,y.z[0]=\\q}{'
  data.plain: a{b}c,d=e.f[g]
  data.empty: ""
EOF
mx H12 dm-helm 0 "install: set values holding { } [ ] , = . and \\ (helm's --set syntax)" \
  "dm-helm: install: 1 installed" summary -- "${F[@]}" install hs
"$H" get values hs -n "$ns" -o json >"$T/values.json"
python3 - "$T/values.json" "$P/components/hs/config.yaml" <<'EOF' && ok "  H12: the release holds every set value byte for byte" || fail "  H12: set values changed on the way"
import json, sys
got = json.load(open(sys.argv[1]))["data"]
want = {"brace": "{a,b}", "open": "{x", "mixed": "x=1,y.z[0]=\\\\q}{", "plain": "a{b}c,d=e.f[g]", "empty": ""}
bad = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
for k, (w, g) in bad.items():
    print(f"  {k}: wanted {w!r}, release has {g!r}")
sys.exit(1 if bad else 0)
EOF
"$H" uninstall hs -n "$ns" >/dev/null 2>&1

mx_finish H

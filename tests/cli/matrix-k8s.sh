#!/usr/bin/env bash
# The bad-input matrix against the real API server of the fixture "k8s" (IDs K..): rejected and
# forbidden credentials, a wrong or missing CA, missing Secrets, the alias file on a full
# filesystem (it must stay as it was: atomic write), refused dm-helm runs that must create no
# namespace, no Secret and no release, and dm-seed against a TLS server it must not trust.
# See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
ADMIN=$KUBECONFIG
unset KUBECONFIG
kc() { "$DM_TEST_KUBECTL" --kubeconfig "$ADMIN" "$@" 2>/dev/null; }
mx_placeholder "$DM_TEST_K8S_SERVER" "<api>"
mx_placeholder "$DM_TEST_K8S_DIR" "<k8s>"
id=$$-$RANDOM
ns=mx-$id
mx_placeholder "$ns" "<ns>"
mx_cleanups+=("kc delete namespace $ns mx-helm-$id --wait=false --ignore-not-found")
kc create namespace "$ns" >/dev/null || { echo "FAIL: cannot create namespace $ns"; exit 1; }
kc -n "$ns" create secret generic s3 --from-literal=rootUser=mx-ak-0005 --from-literal=rootPassword=mx-sk-0006 >/dev/null

# kubeconfigs that go wrong in one way each
sed "s/    token: .*/    token: mx-not-a-token-0007/" "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-401"
sed "s#certificate-authority-data: .*#certificate-authority-data: $(base64 -w0 <"$DM_TEST_K8S_WRONG_CA")#" \
  "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-wrongca"
sed "s#certificate-authority: .*#certificate-authority: $T/no-ca.crt#" "$DM_TEST_KUBECONFIG_CAFILE" >"$T/kc-noca"
USER_KC=$DM_TEST_KUBECONFIG_USER

# --- dm-secrets ---------------------------------------------------------------------------------
mx K01 dm-secrets 1 "token rejected (401)" \
  "dm-secrets: error: credentials rejected by the API server <api> (401 Unauthorized): check user 'dm-test-user' of context 'dm-test' in '<tmp>/kc-401'" \
  -- --kubeconfig "$T/kc-401" --secret s3 -n "$ns"
mx K02 dm-secrets 1 "user without rights (403)" "dm-secrets: error: User \"dm-user\" cannot get secrets in namespace \"<ns>\"" \
  -- --kubeconfig "$USER_KC" --secret s3 -n "$ns"
mx K03 dm-secrets 1 "wrong CA (certificate-authority-data)" \
  "dm-secrets: error: the certificate of the API server <api> did not match the CA certificate-authority-data of cluster 'dm-test' in '<tmp>/kc-wrongca': SSL certificate problem: unable to get local issuer certificate" \
  -- --kubeconfig "$T/kc-wrongca" --secret s3 -n "$ns"
mx K04 dm-secrets 1 "CA file missing" \
  "dm-secrets: error: cannot use the CA '<tmp>/no-ca.crt' (certificate-authority of cluster 'dm-test'): error setting certificate file: <tmp>/no-ca.crt" \
  -- --kubeconfig "$T/kc-noca" --secret s3 -n "$ns"
mx K05 dm-secrets 1 "Secret missing" "dm-secrets: error: secret \"nosuch\" not found in namespace \"<ns>\"" \
  -- --kubeconfig "$ADMIN" --secret nosuch -n "$ns"
mx K06 dm-secrets 1 "namespace missing" \
  "dm-secrets: error: namespace \"<ns>-gone\" not found (looking for secret \"s3\")" -- --kubeconfig "$ADMIN" --secret s3 -n "$ns-gone"
mx K07 dm-secrets 1 "--key names a field the Secret lacks" \
  "dm-secrets: error: secret \"s3\" in namespace \"<ns>\" has no key 'nokey' (keys: rootPassword, rootUser)" \
  -- --kubeconfig "$ADMIN" --secret s3 -n "$ns" --key nokey

# the alias file: a failed write leaves it byte for byte as it was, and no temporary file behind
old_aliases() { # FILE: an alias file of about 6 KiB, bigger than one page of the tiny filesystem
  { echo "aliases:"
    for i in $(seq 1 60); do printf '  old%02d:\n    url: http://127.0.0.1:%d\n    access_key: oldak%02d\n    secret_key: oldsk%02d\n' "$i" "$((9000 + i))" "$i" "$i"; done
  } >"$1"
  chmod 600 "$1"
}
full=$T/full
mkdir -p "$full"
if mount -t tmpfs -o size=16k,mode=0755 mx-full "$full" 2>/dev/null; then
  mx_cleanups+=("umount '$full'")
  old_aliases "$full/aliases.yaml"
  cp -p "$full/aliases.yaml" "$T/aliases.before"
  # 4 pages: the old file holds 2, the filler 1; the new file (2 pages) fails half-way
  dd if=/dev/zero of="$full/filler" bs=4k count=1 2>/dev/null
  [ "$(df --output=avail -B4k "$full" | tail -n 1 | tr -d ' ')" = 1 ] || echo "note: K08: $(df -h "$full" | tail -n 1)"
  DM_ALIASES=$full/aliases.yaml mx K08 dm-secrets 1 "--alias on a full filesystem (16 KiB tmpfs)" \
    "dm-secrets: error: cannot write '<tmp>/full/aliases.yaml': No space left on device" \
    -- --kubeconfig "$ADMIN" --secret s3 -n "$ns" --alias mx --endpoint http://127.0.0.1:9000
  check same_file "$full/aliases.yaml" "$T/aliases.before" "K08: the alias file is unchanged"
  check only_files "$full" aliases.yaml filler "K08: no temporary file left"
  check [ "$(stat -c %a "$full/aliases.yaml")" = 600 ] "K08: still mode 0600"
else
  # CI runs as root, where the mount works: a case that cannot run is a failure, not a pass
  fail "K08 dm-secrets (--alias on a full filesystem): cannot mount a 16 KiB tmpfs on $full (needs root)"
  printf '| K08 | dm-secrets | --alias on a full filesystem (16 KiB tmpfs) | `dm-secrets: error: cannot write '"'"'<tmp>/full/aliases.yaml'"'"': No space left on device` | 1 |\n' >>"$MX_ROWS"
fi
# RLIMIT_FSIZE makes any write past the limit fail (EFBIG, with SIGXFSZ ignored): the same
# half-written risk without privileges.  stderr goes through a pipe, which the limit spares.
old_aliases "$T/aliases.yaml"
cp -p "$T/aliases.yaml" "$T/aliases.before"
MX_RUN=(bash -c 'trap "" XFSZ; ulimit -f 1; exec "$@" 2> >(cat >&2)' limited)
DM_ALIASES=$T/aliases.yaml mx K09 dm-secrets 1 "--alias: the write fails half-way (RLIMIT_FSIZE 1 KiB)" \
  "dm-secrets: error: cannot write '<tmp>/aliases.yaml': File too large" \
  -- --kubeconfig "$ADMIN" --secret s3 -n "$ns" --alias mx --endpoint http://127.0.0.1:9000
MX_RUN=()
check same_file "$T/aliases.yaml" "$T/aliases.before" "K09: the alias file is unchanged"
check [ "$(cd "$T" && ls -A | grep aliases | tr '\n' ' ')" = "aliases.before aliases.yaml " ] "K09: no temporary file left"
# an alias file that does not parse is never replaced
printf 'aliases:\n  keep: [this\n' >"$T/aliases.yaml"
cp -p "$T/aliases.yaml" "$T/aliases.before"
DM_ALIASES=$T/aliases.yaml mx K10 dm-secrets 3 "--alias: the alias file there does not parse" \
  "dm-secrets: error: <tmp>/aliases.yaml:3:1: did not find expected ',' or ']' while parsing a flow sequence started at line 2, column 9" \
  yaml -- --kubeconfig "$ADMIN" --secret s3 -n "$ns" --alias mx --endpoint http://127.0.0.1:9000
check same_file "$T/aliases.yaml" "$T/aliases.before" "K10: the alias file is unchanged"

# --- the alias file under 20 writers, values YAML does not take raw, a plugin that hangs --------
# K11: this writer (w20) and 19 others started with it at once; the file's lock keeps every alias
cat >"$T/writers.sh" <<'SH'
#!/usr/bin/env bash
# writers.sh TOOL ARGS...: runs TOOL ARGS with w20/9020 swapped for w1..w19/9001..9019 19 times
# in the background, then TOOL ARGS itself; writes the exit codes of the 19 to $WRITERS_RC
tool=$1; shift
pids=()
for i in $(seq 1 19); do
  a=("${@//w20/w$i}"); "$tool" "${a[@]//:9020/:$((9000 + i))}" >/dev/null 2>&1 & pids+=($!)
done
"$tool" "$@"; rc=$?
for p in "${pids[@]}"; do wait "$p"; echo $?; done >"$WRITERS_RC"
exit "$rc"
SH
export WRITERS_RC=$T/writers.rc
MX_RUN=(bash "$T/writers.sh")
DM_ALIASES=$T/aliases-20.yaml mx K11 dm-secrets 0 "--alias: 20 writers of the same alias file at once" \
  "dm-secrets: alias 'w20' (http://127.0.0.1:9020) written to '<tmp>/aliases-20.yaml'" summary -- --kubeconfig "$ADMIN" --secret s3 -n "$ns" --alias w20 --endpoint http://127.0.0.1:9020
MX_RUN=()
check [ "$(sort -u "$WRITERS_RC" | tr '\n' ' ')" = "0 " ] "K11: the other 19 writers exited 0"
check python3 -c '
import sys, yaml
got = yaml.safe_load(open(sys.argv[1]))["aliases"]
want = {f"w{i}": f"http://127.0.0.1:{9000 + i}" for i in range(1, 21)}
assert {k: v["url"] for k, v in got.items()} == want, sorted(got)
' "$T/aliases-20.yaml" "K11: all 20 aliases are in the file, each with its url"
check [ -z "$(cd "$T" && ls -A | grep '^aliases-20\.yaml.')" ] "K11: no lock or temporary file left beside the alias file"

# K12: NEL (U+0085) is a line break to YAML, U+008C and a BOM inside text are refused raw
printf 'c1\xc2\x85nel\xc2\x8cff\xef\xbb\xbfbom\xef\xbf\xbeend' >"$T/c1"
kc -n "$ns" create secret generic c1 --from-literal=rootUser=mx-c1-ak --from-file=rootPassword="$T/c1" >/dev/null
mx K12 dm-secrets 0 "--format alias: a secret key with C1 controls, a BOM and U+FFFE" "(nothing)" \
  out silent -- --kubeconfig "$ADMIN" --secret c1 -n "$ns" --format alias --endpoint http://127.0.0.1:9000
check grep -qF 'secret_key: "c1\x85nel\x8cff\ufeffbom\ufffeend"' "$T/out" "K12: written escaped"
check python3 -c '
import sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["aliases"]["c1"]
assert a["secret_key"] == open(sys.argv[2], encoding="utf-8").read(), a
' "$T/out" "$T/c1" "K12: a YAML reader gets the exact value back"

# K13: an exec credential plugin that never answers (and has a child of its own) is stopped with
# its child when its time is up (a minute; DM_TEST_EXEC_TIMEOUT makes it 2 s here)
printf '#!/bin/sh\nsleep 3013 &\nwait\n' >"$T/hang.sh"
chmod +x "$T/hang.sh"
python3 - "$DM_TEST_K8S_SERVER" "$DM_TEST_K8S_CA" "$T/hang.sh" >"$T/kc-exec" <<'PY'
import sys
server, ca, cmd = sys.argv[1:4]
print(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{server}", certificate-authority: "{ca}"}}}}]
users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: "{cmd}"}}}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x""")
PY
export DM_TEST_EXEC_TIMEOUT=2s
mx K13 dm-secrets 1 "kubeconfig exec plugin that never answers (test knob: 2 s)" \
  "dm-secrets: error: the exec credential plugin '<tmp>/hang.sh' of user 'u' did not finish in 2 s (stopped)" \
  -- --kubeconfig "$T/kc-exec" --secret s3 -n "$ns"
unset DM_TEST_EXEC_TIMEOUT
check not pgrep -f 'sleep 3013' "K13: the plugin and its child are gone"

# --- dm-helm: refused runs create nothing ------------------------------------------------------
P=$T/plat
hns=mx-helm-$id
mx_placeholder "$hns" "<helm-ns>"
mkdir -p "$P/flavours" "$P/components/a" "$P/components/b"
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n' "$hns" >"$P/flavours/f.yaml"
comp_a() {
  printf 'name: a\nchart:\n  path: %s/tests/fixtures/charts/fx-base\nsecrets:\n  - name: a-keys\n    keys: [k]\n%b' \
    "$DM_SOURCE_DIR" "${1:-}" >"$P/components/a/config.yaml"
}
printf 'name: b\nchart:\n  path: %s/tests/fixtures/charts/fx-base\nneeds: [a]\n' "$DM_SOURCE_DIR" >"$P/components/b/config.yaml"
nothing_created() { # CASE
  check not kc get namespace "$hns" -o name "$1: no namespace created"
  check [ -z "$("$DM_TEST_HELM" --kubeconfig "$ADMIN" list -A -q 2>/dev/null | grep -x 'a\|b')" ] "$1: no helm release"
}
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
comp_a 'values: [nothere.yaml]\n'
mx K20 dm-helm 3 "install: values file missing" \
  "dm-helm: error: values file 'nothere.yaml' of component 'a' is neither '<tmp>/plat/flavours/nothere.yaml' nor '<tmp>/plat/components/a/nothere.yaml'" \
  -- -f "$P/flavours/f.yaml" --kubeconfig "$ADMIN" install
nothing_created K20
comp_a
mx K21 dm-helm 4 "install: token rejected (401)" \
  "dm-helm: error: a: failed after <s> s: credentials rejected by the API server <api> (401 Unauthorized): check user 'dm-test-user' of context 'dm-test' in '<tmp>/kc-401'" \
  partial -- -f "$P/flavours/f.yaml" --kubeconfig "$T/kc-401" install
grep -qxF "dm-helm: install: 0 installed, 1 failed, 1 skipped: a (failed), b (skipped)" "$T/err" &&
  ok "  K21: the summary names a (failed) and b (skipped)" || fail "  K21: summary line"
nothing_created K21
mx K22 dm-helm 4 "install: user without rights (403)" "dm-helm: error: a: failed after <s> s: User \"dm-user\" cannot create namespaces" \
  partial -- -f "$P/flavours/f.yaml" --kubeconfig "$USER_KC" install
nothing_created K22
mx K23 dm-helm 1 "install: kubeconfig missing" "dm-helm: error: cannot read '<tmp>/no-kubeconfig': No such file or directory" \
  -- -f "$P/flavours/f.yaml" --kubeconfig "$T/no-kubeconfig" install
nothing_created K23
unset DM_HELM DM_KUBECTL

# --- dm-cluster: remote targets ----------------------------------------------------------------
mkdir -p "$P/k8s/configs"
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n' "$hns" >"$P/flavours/c.yaml"
target() { printf 'provider: remote\nkubeconfig: %s\n' "$1" >"$T/target.yaml"; }
target "$T/kc-401"
mx K30 dm-cluster 1 "remote: token rejected (401)" \
  "dm-cluster: error: credentials rejected by the API server <api> (401 Unauthorized): check user 'dm-test-user' of context 'dm-test' in '<tmp>/kc-401'" \
  -- -f "$P/flavours/c.yaml" --target "$T/target.yaml" start
target "$T/kc-wrongca"
mx K31 dm-cluster 1 "remote: wrong CA (status)" \
  "dm-cluster: error: not ready: API server not ready: the certificate of the API server <api> did not match the CA certificate-authority-data of cluster 'dm-test' in '<tmp>/kc-wrongca': SSL certificate problem: unable to get local issuer certificate" \
  out -- -f "$P/flavours/c.yaml" --target "$T/target.yaml" status
target "$USER_KC"
mx K32 dm-cluster 1 "remote: user without rights (403)" "dm-cluster: error: User \"dm-user\" cannot create namespaces" \
  -- -f "$P/flavours/c.yaml" --target "$T/target.yaml" start
check not kc get namespace "$hns" -o name "K32: no namespace created"

# --- dm-gpu --kubeconfig (fake NVIDIA libraries) -----------------------------------------------
FK=$DM_BUILD_DIR/fakes/nvidia/current
R=$T/gpu-root
mkdir -p "$R/dev" "$R/usr/bin"
for n in nvidiactl nvidia-uvm nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7; do : >"$R/dev/$n"; done
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"; chmod +x "$R/usr/bin/nvidia-ctk"
MX_RUN=(env DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$FK/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$FK/libcuda.so.1")
mx K40 dm-gpu 1 "--kubeconfig: token rejected (401)" \
  "dm-gpu: error: [kubernetes-node] cannot read node 'n1' from Kubernetes: credentials rejected by the API server <api> (401 Unauthorized): check user 'dm-test-user' of context 'dm-test' in '<tmp>/kc-401'" \
  report -- check --root "$R" --kubeconfig "$T/kc-401" --node n1
mx K41 dm-gpu 1 "--kubeconfig: user without rights (403)" \
  "dm-gpu: error: [kubernetes-node] cannot read node 'n1' from Kubernetes: User \"dm-user\" cannot get nodes" \
  report -- check --root "$R" --kubeconfig "$USER_KC" --node n1
MX_RUN=()

# --- dm-seed against a TLS server it must not trust (the API server's port) -------------------
hostport=${DM_TEST_K8S_SERVER#https://}
export MC_HOST_tls="https://mx-ak-0008:mx-sk-0009@$hostport"
mx K50 dm-seed 1 "TLS: --ca-bundle that did not sign the server" \
  "dm-seed: error: certificate not trusted for <api>: SSL certificate problem: unable to get local issuer certificate (CA: <k8s>/pki/wrong-ca.crt); use --ca-bundle FILE or --insecure" \
  -- --no-progress --retries 0 --ca-bundle "$DM_TEST_K8S_WRONG_CA" "$T/plat" tls/bucket
mx K51 dm-seed 2 "TLS: --ca-bundle file missing" \
  "dm-seed: error: --ca-bundle: cannot read '<tmp>/no-ca.pem': No such file or directory" \
  -- --no-progress --ca-bundle "$T/no-ca.pem" "$T/plat" tls/bucket
unset MC_HOST_tls

mx_finish K

#!/usr/bin/env bash
# The bad-input matrix, the cases that need no server (IDs L..): flags and arguments of every
# tool, malformed, duplicate and unknown keys in every kind of YAML file, cycles, missing and
# unreadable files, symlink loops, bad durations and sizes, closed ports.  See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"

SEED_SRC=$T/src
mkdir -p "$SEED_SRC"
echo one >"$SEED_SRC/one.txt"
# an alias whose server cannot be reached: nothing in these cases may get that far
good_alias() {
  printf 'aliases:\n  mx:\n    url: http://127.0.0.1:9\n    access_key: mx-access-0001\n    secret_key: mx-secret-0002\n' >"$DM_ALIASES"
  chmod 600 "$DM_ALIASES"
}
# run as an unprivileged user when root (root reads every file)
as_user=()
if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi

# --- dm-seed ----------------------------------------------------------------------------------
good_alias
mx L01 dm-seed 3 "no arguments (the project's data), --root not a platform" \
  "dm-seed: error: the folder '<tmp>/src' is no platform root: it holds no components/ folder (--root)" -- --root "$SEED_SRC"
mx L02 dm-seed 2 "SOURCE without a target" "dm-seed: error: missing TARGET" -- "$SEED_SRC"
mx L03 dm-seed 2 "unknown flag --bogus" "dm-seed: error: unknown option '--bogus'" \
  -- --bogus "$SEED_SRC" mx/bucket
mx L04 dm-seed 2 "--jobs 0" "dm-seed: error: --jobs: '0' is not a number from 1 to 1024" -- --jobs 0 "$SEED_SRC" mx/bucket
mx L05 dm-seed 2 "--connect-timeout 5y (bad duration)" \
  "dm-seed: error: --connect-timeout: invalid duration '5y' (e.g. 5s, 500ms)" -- --connect-timeout 5y "$SEED_SRC" mx/bucket
mx L06 dm-seed 2 "--part-size 1k (size below S3's 5 MiB)" \
  "dm-seed: error: --part-size: '1k' must be a size from 5MiB to 5GiB" -- --part-size 1k "$SEED_SRC" mx/bucket
mx L07 dm-seed 2 "--shard 3/3 (out of range)" "dm-seed: error: --shard: '3/3' must be I/N with 0 <= I < N" \
  -- --shard 3/3 "$SEED_SRC" mx/bucket
mx L08 dm-seed 2 "invalid bucket name Bad_Bucket" \
  "dm-seed: error: invalid bucket name 'Bad_Bucket': only lower-case letters, digits, '.' and '-' are allowed" \
  -- "$SEED_SRC" mx/Bad_Bucket
mx L09 dm-seed 1 "SOURCE missing" "dm-seed: error: cannot read '<tmp>/no-such-src': No such file or directory" \
  -- "$T/no-such-src" mx/bucket
mx L10 dm-seed 3 "unknown alias" \
  "dm-seed: error: unknown alias 'nosuch' (looked in MC_HOST_nosuch, <tmp>/home/aliases.yaml, <tmp>/home/mc/config.json)" \
  -- "$SEED_SRC" nosuch/bucket
printf 'aliases:\n  mx:\n    url: http://127.0.0.1:9\n    access_key: [unclosed\n' >"$DM_ALIASES"
mx L11 dm-seed 3 "alias file: malformed YAML" \
  "dm-seed: error: <tmp>/home/aliases.yaml:5:1: did not find expected ',' or ']' while parsing a flow sequence started at line 4, column 17" \
  yaml -- "$SEED_SRC" mx/bucket
printf 'aliases:\n  mx:\n    url: http://127.0.0.1:9\n    access_key: a\n    access_key: b\n    secret_key: c\n' >"$DM_ALIASES"
mx L12 dm-seed 3 "alias file: duplicate key" \
  "dm-seed: error: <tmp>/home/aliases.yaml:5:5: duplicate key 'access_key' (first at line 4)" yaml -- "$SEED_SRC" mx/bucket
printf 'aliases:\n  mx:\n    url: http://127.0.0.1:9\n    acess_key: a\n    secret_key: c\n' >"$DM_ALIASES"
mx L13 dm-seed 3 "alias file: unknown key" \
  "dm-seed: error: <tmp>/home/aliases.yaml:4:5: unknown key 'acess_key' in an alias (expected one of: url, access_key, secret_key, session_token, region, secret, namespace, access_key_field, secret_key_field)" \
  yaml -- "$SEED_SRC" mx/bucket
rm -f "$DM_ALIASES"; ln -s "$(basename "$DM_ALIASES")" "$DM_ALIASES"
mx L14 dm-seed 1 "alias file is a symlink loop" \
  "dm-seed: error: cannot read '<tmp>/home/aliases.yaml': Too many levels of symbolic links" -- "$SEED_SRC" mx/bucket
rm -f "$DM_ALIASES"; good_alias
chmod 755 "$HOME"; chmod 644 "$SEED_SRC/one.txt"; chmod 755 "$SEED_SRC"
MX_RUN=("${as_user[@]}")
[ "$(id -u)" = 0 ] || chmod 000 "$DM_ALIASES"   # not root: the owner itself cannot read it
mx L15 dm-seed 1 "alias file unreadable (0600, another user)" \
  "dm-seed: error: cannot read '<tmp>/home/aliases.yaml': Permission denied" -- "$SEED_SRC" mx/bucket
MX_RUN=()
chmod 600 "$DM_ALIASES"
mx L16 dm-seed 1 "S3 endpoint unreachable (closed port)" \
  "dm-seed: error: cannot connect to http://127.0.0.1:9: Failed to connect to 127.0.0.1 port 9 after <n> ms: Couldn't connect to server" \
  -- --retries 0 --no-progress "$SEED_SRC" mx/bucket

# --- dm-secrets (no server reached) -------------------------------------------------------------
mx L20 dm-secrets 2 "no arguments" "dm-secrets: error: name a COMPONENT or a Secret with --secret NAME"
mx L21 dm-secrets 2 "unknown flag --bogus" "dm-secrets: error: unknown option '--bogus'" -- --bogus
mx L22 dm-secrets 2 "--key without its value" "dm-secrets: error: option '--key' needs a value" -- --secret s --key
mx L23 dm-secrets 2 "--format xml" "dm-secrets: error: unknown --format 'xml' (env, json, mc or alias)" -- --secret s --format xml
mx L24 dm-secrets 1 "kubeconfig missing" "dm-secrets: error: cannot read '<tmp>/no-kubeconfig': No such file or directory" \
  -- --kubeconfig "$T/no-kubeconfig" --secret s
printf 'apiVersion: v1\nclusters: [\n' >"$T/kc-malformed"
mx L25 dm-secrets 3 "kubeconfig: malformed YAML" \
  "dm-secrets: error: <tmp>/kc-malformed:3:1: did not find expected node content while parsing a flow node started at line 3, column 1" \
  yaml -- --kubeconfig "$T/kc-malformed" --secret s
printf 'apiVersion: v1\nclusters:\n- name: a\n  cluster:\n    server: https://127.0.0.1:9\n    server: https://127.0.0.1:10\n' >"$T/kc-dup"
mx L26 dm-secrets 3 "kubeconfig: duplicate key" \
  "dm-secrets: error: <tmp>/kc-dup:6:5: duplicate key 'server' (first at line 5)" yaml -- --kubeconfig "$T/kc-dup" --secret s
cat >"$T/kc-server" <<'EOF'
apiVersion: v1
current-context: c
contexts:
- name: c
  context: {cluster: a, user: u}
clusters:
- name: a
  cluster: {server: "not a url"}
users:
- name: u
  user: {token: mx-token-0003}
EOF
mx L27 dm-secrets 3 "kubeconfig: server is not a URL" \
  "dm-secrets: error: <tmp>/kc-server:8:21: server 'not a url' of cluster 'a' must start with https:// or http:// and name a host" \
  yaml -- --kubeconfig "$T/kc-server" --secret s
sed -e 's/cluster: a, user: u/cluster: b, user: u/' -e 's/"not a url"/https:\/\/127.0.0.1:9/' "$T/kc-server" >"$T/kc-ctx"
mx L28 dm-secrets 3 "kubeconfig: context names an undefined cluster" \
  "dm-secrets: error: <tmp>/kc-ctx:5:22: context 'c' names cluster 'b', which is not defined in '<tmp>/kc-ctx'" \
  yaml -- --kubeconfig "$T/kc-ctx" --secret s
printf 'apiVersion: v1\nclusters:\n- name: a\n  cluster: [x]\n' >"$T/kc-type"
mx L29 dm-secrets 3 "kubeconfig: a field of the wrong type" \
  "dm-secrets: error: <tmp>/kc-type:4:12: 'cluster' of cluster 'a' must be a map" yaml -- --kubeconfig "$T/kc-type" --secret s
sed 's/"not a url"/https:\/\/127.0.0.1:9/' "$T/kc-server" >"$T/kc-ok"
mx L30 dm-secrets 3 "unknown component" \
  "dm-secrets: error: no component 'nosuch': '<tmp>/comps/nosuch/config.yaml' does not exist (use --components-dir DIR, or --secret NAME)" \
  -- --kubeconfig "$T/kc-ok" --components-dir "$T/comps" nosuch
mkdir -p "$T/comps/broken"
printf 'name: broken\nsecret:\n  name: [x\n' >"$T/comps/broken/config.yaml"
mx L31 dm-secrets 3 "component config: malformed YAML" \
  "dm-secrets: error: <tmp>/comps/broken/config.yaml:4:1: did not find expected ',' or ']' while parsing a flow sequence started at line 3, column 9" \
  yaml -- --kubeconfig "$T/kc-ok" --components-dir "$T/comps" broken
mx L32 dm-secrets 1 "API server unreachable (closed port)" \
  "dm-secrets: error: cannot connect to https://127.0.0.1:9: Failed to connect to 127.0.0.1 port 9 after <n> ms: Couldn't connect to server" \
  -- --kubeconfig "$T/kc-ok" --secret s -n default

# --- dm-helm (plans: no cluster) ----------------------------------------------------------------
P=$T/plat
mkdir -p "$P/flavours" "$P/components/a" "$P/components/b"
printf 'project:\n  k8s_namespace: mx-helm\n  flavour: all\n' >"$P/flavours/f.yaml"
comp_a() { printf 'name: a\nchart:\n  path: %s/tests/fixtures/charts/fx-base\n%b' "$DM_SOURCE_DIR" "${1:-}" >"$P/components/a/config.yaml"; }
comp_b() { printf 'name: b\nchart:\n  path: %s/tests/fixtures/charts/fx-base\nneeds: [a]\n%b' "$DM_SOURCE_DIR" "${1:-}" >"$P/components/b/config.yaml"; }
comp_a; comp_b
F=$P/flavours/f.yaml
mx L40 dm-helm 2 "no command" "dm-helm: error: name a command: plan, install, uninstall, status or images"
mx L41 dm-helm 2 "unknown flag --bogus" "dm-helm: error: unknown option '--bogus'" -- --bogus plan
mx L42 dm-helm 2 "unknown command" "dm-helm: error: unknown command 'deploy' (plan, install, uninstall, status or images)" -- -f "$F" deploy
mx L43 dm-helm 2 "--timeout 5y (bad duration)" "dm-helm: error: --timeout must be a duration like 90s, 10m or 1h30m, not '5y'" \
  -- -f "$F" --timeout 5y plan
mx L44 dm-helm 2 "unknown component on the command line" "dm-helm: error: 'nosuch' is no component" -- -f "$F" plan nosuch
mx L45 dm-helm 3 "flavour missing" "dm-helm: error: flavour '<tmp>/plat/flavours/none.yaml' does not exist" \
  -- -f "$P/flavours/none.yaml" plan
printf 'project:\n  k8s_namespace: mx-helm\n  flavour: [a\n' >"$P/flavours/bad.yaml"
mx L46 dm-helm 3 "flavour: malformed YAML" \
  "dm-helm: error: <tmp>/plat/flavours/bad.yaml:4:1: did not find expected ',' or ']' while parsing a flow sequence started at line 3, column 12" \
  yaml -- -f "$P/flavours/bad.yaml" plan
printf 'project:\n  k8s_namespace: mx-helm\n  flavour: all\n  flavour: all\n' >"$P/flavours/bad.yaml"
mx L47 dm-helm 3 "flavour: duplicate key" \
  "dm-helm: error: <tmp>/plat/flavours/bad.yaml:4:3: duplicate key 'flavour' (first at line 3)" yaml -- -f "$P/flavours/bad.yaml" plan
comp_a 'relase: x\n'
mx L48 dm-helm 3 "component: unknown key" \
  "dm-helm: error: <tmp>/plat/components/a/config.yaml:4:1: unknown key 'relase' in component (expected one of: name, description, kind, release, chart, version, namespace, values, needs, set, secrets, secret, wait, timeout, manifests, kustomize, requires)" \
  yaml -- -f "$F" plan
comp_a 'needs: [b\n'
mx L49 dm-helm 3 "component: malformed YAML" \
  "dm-helm: error: <tmp>/plat/components/a/config.yaml:5:1: did not find expected ',' or ']' while parsing a flow sequence started at line 4, column 8" \
  yaml -- -f "$F" plan
comp_a 'needs: [b]\n'
mx L50 dm-helm 3 "dependency cycle" "dm-helm: error: cycle in needs: a -> b -> a" -- -f "$F" plan
comp_a 'values: [nothere.yaml]\n'
mx L51 dm-helm 3 "values file missing" \
  "dm-helm: error: values file 'nothere.yaml' of component 'a' is neither '<tmp>/plat/flavours/nothere.yaml' nor '<tmp>/plat/components/a/nothere.yaml'" \
  -- -f "$F" plan
comp_a 'timeout: 5x\n'
mx L52 dm-helm 3 "component: bad duration" \
  "dm-helm: error: <tmp>/plat/components/a/config.yaml:4:10: 'timeout' must be a duration like 90s, 10m or 1h30m, not '5x'" \
  yaml -- -f "$F" plan
printf 'name: a\nchart:\n  path: %s/no-chart\n' "$T" >"$P/components/a/config.yaml"
mx L53 dm-helm 3 "chart folder missing" \
  "dm-helm: error: <tmp>/plat/components/a/config.yaml:3:9: chart folder '<tmp>/no-chart' holds no Chart.yaml" \
  yaml -- -f "$F" plan
comp_a
ln -s loop.yaml "$P/flavours/loop.yaml"
mx L54 dm-helm 1 "flavour is a symlink loop" \
  "dm-helm: error: cannot read '<tmp>/plat/flavours/loop.yaml': Too many levels of symbolic links" -- -f "$P/flavours/loop.yaml" plan

# --- dm-cluster (no cluster) --------------------------------------------------------------------
mkdir -p "$P/k8s/configs"
printf 'project:\n  k8s_namespace: mx-cluster\n  flavour: all\n  k8s_default_config: none.yaml\n' >"$P/flavours/c.yaml"
C=$P/flavours/c.yaml
tg() { printf "$1" >"$T/target.yaml"; }
mx L60 dm-cluster 2 "no command" "dm-cluster: error: no command given (start, stop, delete, status, proxy or debug)"
mx L61 dm-cluster 2 "unknown flag --bogus" "dm-cluster: error: unknown option '--bogus'" -- --bogus status
mx L62 dm-cluster 2 "-f without its value" "dm-cluster: error: option '-f' needs a value" -- status -f
mx L63 dm-cluster 2 "--timeout 0s" "dm-cluster: error: invalid --timeout '0s' (e.g. 90s, 10m)" -- -f "$C" --timeout 0s status
mx L64 dm-cluster 2 "--port 99999" "dm-cluster: error: invalid --port '99999' (1..65535)" -- -f "$C" --port 99999 proxy
mx L65 dm-cluster 1 "default target file missing" \
  "dm-cluster: error: cannot read '<tmp>/plat/k8s/configs/none.yaml': No such file or directory" -- -f "$C" status
tg 'provider: remote\nkubeconfig: [x\n'
mx L66 dm-cluster 3 "target: malformed YAML" \
  "dm-cluster: error: <tmp>/target.yaml:3:1: did not find expected ',' or ']' while parsing a flow sequence started at line 2, column 13" \
  yaml -- -f "$C" --target "$T/target.yaml" status
tg 'provider: remote\nprovider: remote\n'
mx L67 dm-cluster 3 "target: duplicate key" "dm-cluster: error: <tmp>/target.yaml:2:1: duplicate key 'provider' (first at line 1)" \
  yaml -- -f "$C" --target "$T/target.yaml" status
tg 'provider: minikube\ncpu: 2\n'
mx L68 dm-cluster 3 "target: unknown key" \
  "dm-cluster: error: <tmp>/target.yaml:2:1: unknown key 'cpu' in target (expected one of: provider, cpus, memory, disk, driver, gpu, addons, kubernetes_version, profile, kubeconfig, context, registry_mirror, endpoints)" \
  yaml -- -f "$C" --target "$T/target.yaml" status
tg 'provider: minikube\nmemory: 1.5g\n'
mx L69 dm-cluster 3 "target: fractional size" \
  "dm-cluster: error: <tmp>/target.yaml:2:9: memory: '1.5g' is not a size: unit '.5g' is not one of m, mb, mib, g, gb, gib" \
  yaml -- -f "$C" --target "$T/target.yaml" status
printf 'provider: remote\nkubeconfig: %s/no-kubeconfig\n' "$T" >"$T/target.yaml"
mx L70 dm-cluster 1 "remote target: kubeconfig missing (status)" \
  "dm-cluster: error: not ready: cannot use the kubeconfig: cannot read '<tmp>/no-kubeconfig': No such file or directory" \
  out -- -f "$C" --target "$T/target.yaml" status
printf 'provider: remote\nkubeconfig: %s/kc-ok\n' "$T" >"$T/target.yaml"
mx L71 dm-cluster 1 "remote target: API server unreachable (start)" \
  "dm-cluster: error: cannot connect to https://127.0.0.1:9: Failed to connect to 127.0.0.1 port 9 after <n> ms: Couldn't connect to server" \
  -- -f "$C" --target "$T/target.yaml" start

# --- dm-gpu (the fake NVIDIA libraries, no cluster) ---------------------------------------------
FK=$DM_BUILD_DIR/fakes/nvidia/current
R=$T/gpu-root
mkdir -p "$R/dev" "$R/usr/bin"
for n in nvidiactl nvidia-uvm nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7; do : >"$R/dev/$n"; done
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"; chmod +x "$R/usr/bin/nvidia-ctk"
mx L80 dm-gpu 2 "unknown flag --bogus" "dm-gpu: error: unknown option '--bogus'" -- --bogus
mx L81 dm-gpu 2 "--node without its value" "dm-gpu: error: option '--node' needs a value" -- check --node
mx L82 dm-gpu 2 "--min-memory 4x (bad size)" "dm-gpu: error: --min-memory: invalid size '4x' (use e.g. 512, 64k, 8MiB, 1G)" \
  -- check --min-memory 4x
mx L83 dm-gpu 2 "--cuda abc" "dm-gpu: error: --cuda: invalid version 'abc' (expected X.Y, e.g. 12.0)" -- check --cuda abc
printf 'images: [\n' >"$T/images.yaml"
mx L84 dm-gpu 3 "--images: malformed YAML" \
  "dm-gpu: error: <tmp>/images.yaml:2:1: did not find expected node content while parsing a flow node started at line 2, column 1" \
  yaml -- check --images "$T/images.yaml" --image x
MX_RUN=(env DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$FK/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$FK/libcuda.so.1")
mx L85 dm-gpu 1 "--kubeconfig missing" \
  "dm-gpu: error: [kubernetes-node] cannot read node 'n1' from Kubernetes: cannot read '<tmp>/no-kubeconfig': No such file or directory" \
  report -- check --root "$R" --kubeconfig "$T/no-kubeconfig" --node n1
mx L86 dm-gpu 1 "--kubeconfig: malformed YAML" \
  "dm-gpu: error: [kubernetes-node] cannot read node 'n1' from Kubernetes: <tmp>/kc-malformed:3:1: did not find expected node content while parsing a flow node started at line 3, column 1" \
  report -- check --root "$R" --kubeconfig "$T/kc-malformed" --node n1
mx L87 dm-gpu 1 "--kubeconfig: API server unreachable" \
  "dm-gpu: error: [kubernetes-node] cannot read node 'n1' from Kubernetes: cannot connect to https://127.0.0.1:9: Failed to connect to 127.0.0.1 port 9 after <n> ms: Couldn't connect to server" \
  report -- check --root "$R" --kubeconfig "$T/kc-ok" --node n1
MX_RUN=()

mx_finish L

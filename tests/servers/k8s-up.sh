#!/usr/bin/env bash
# Start a real Kubernetes API for the tests: etcd (Debian) and kube-apiserver (built from Debian's
# source by scripts/k8s-tools.sh) on free 127.0.0.1 ports, with a test CA, client certificates,
# static tokens and RBAC.  No kubelet, no controllers: the API and its storage only.
# With --node, also a node on loopback (tests/servers/k8s-node.sh): kube-controller-manager,
# kube-scheduler, containerd and a kubelet; the node binaries must have been built beforehand
# (scripts/k8s-tools.sh --node: tens of minutes once per machine), or this fails saying so.
#
# Usage: tests/servers/k8s-up.sh DIR [--node]     (stop with tests/servers/k8s-down.sh DIR)
#
# Writes DIR/env (sourced by the tests) with:
#   KUBECONFIG                  admin: client certificate and CA embedded as data
#   DM_TEST_KUBECONFIG_TOKEN    admin: bearer token, CA embedded
#   DM_TEST_KUBECONFIG_CAFILE   admin: certificate-authority, client-certificate, client-key as files
#   DM_TEST_KUBECONFIG_USER     the unprivileged user "dm-user" (token), CA embedded
#   DM_TEST_K8S_SERVER DM_TEST_K8S_CA DM_TEST_K8S_WRONG_CA DM_TEST_K8S_ADMIN_TOKEN
#   DM_TEST_K8S_USER DM_TEST_K8S_USER_TOKEN DM_TEST_K8S_DIR DM_TEST_K8S_BOOT_S
#   DM_TEST_KUBECTL DM_TEST_HELM
# and with --node (see k8s-node.sh):
#   DM_TEST_K8S_NODE             the node's name
#   DM_TEST_NODE_CONTAINERD_SOCK containerd's socket
#   DM_TEST_NODE_CTR             "ctr --address SOCKET -n k8s.io", the namespace of the node's images
#   DM_TEST_NODE_IMPORT          a command: IMPORT OCI-LAYOUT NAME imports the layout's tags as NAME:TAG
#   DM_TEST_NODE_BOOT_S          seconds from the API server's readiness to the node's
# Exit 0 when /readyz says ok (and with --node, once the node is Ready and untainted and the
# default service account has its token); 1 with pointers to the logs otherwise.  Never waits
# longer than DM_K8S_BOOT_TIMEOUT seconds (default 120) for the servers.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:?usage: k8s-up.sh DIR [--node]}
node=0
case "${2:-}" in
  "") ;;
  --node) node=1 ;;
  *) echo "k8s-up.sh: error: unknown option '$2' (usage: k8s-up.sh DIR [--node])" >&2; exit 1 ;;
esac
timeout_s=${DM_K8S_BOOT_TIMEOUT:-120}

say() { echo "k8s-up.sh: $*" >&2; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# a previous run's servers in the same folder are stopped first
for f in apiserver etcd kubelet containerd controller-manager scheduler; do
  if [ -f "$dir/$f.pid" ]; then bash "$here/k8s-down.sh" "$dir" || true; break; fi
done
rm -f "$dir/env"

fail() {
  say "error: $*"
  for f in etcd.log apiserver.log containerd.log controller-manager.log scheduler.log kubelet.log; do
    if [ -s "$dir/$f" ]; then
      say "--- last lines of $dir/$f"
      tail -n 15 "$dir/$f" >&2
    fi
  done
  say "logs: $dir/*.log"
  bash "$here/k8s-down.sh" "$dir" >/dev/null 2>&1 || true
  exit 1
}
trap 'fail "unexpected failure at line $LINENO"' ERR

# --- binaries ----------------------------------------------------------------------------------
if [ "$node" = 1 ]; then
  # never a build here (tens of minutes): k8s-tools.sh says how to build what is missing
  bash "$root/scripts/k8s-tools.sh" --node --no-build "$dir/tools.env" || fail "scripts/k8s-tools.sh --node failed"
else
  bash "$root/scripts/k8s-tools.sh" "$dir/tools.env" || fail "scripts/k8s-tools.sh failed"
fi
# shellcheck disable=SC1091
. "$dir/tools.env"
for b in "$ETCD" "$KUBE_APISERVER" "$KUBECTL" "$HELM"; do
  [ -x "$b" ] || fail "missing binary '$b'"
done

# --- certificates and tokens -------------------------------------------------------------------
pki=$dir/pki
rm -rf "$pki" && mkdir -p "$pki" && chmod 0700 "$pki"
ossl() { openssl "$@" >>"$pki/openssl.log" 2>&1 || fail "openssl $1 failed (see $pki/openssl.log)"; }

mkca() { # NAME CN
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=$2" -keyout "$pki/$1.key" -out "$pki/$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
mkcert() { # NAME SUBJECT EXT-LINES...
  local name=$1 subj=$2; shift 2
  printf '%s\n' "$@" >"$pki/$name.ext"
  ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr"
  ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$pki/$name.ext" -out "$pki/$name.crt"
}
mkca ca "dm test CA"
mkca wrong-ca "dm test wrong CA"
mkcert server "/CN=kube-apiserver" "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" \
  "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
mkcert admin "/O=system:masters/CN=dm-admin" "basicConstraints=CA:FALSE" "extendedKeyUsage=clientAuth"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

admin_token=$(openssl rand -hex 24)
user_token=$(openssl rand -hex 24)
printf '%s,dm-admin,1001,"system:masters"\n%s,dm-user,1002\n' "$admin_token" "$user_token" >"$pki/tokens.csv"
chmod 0600 "$pki"/*.key "$pki/tokens.csv"

# --- ports -------------------------------------------------------------------------------------
used=" "
free_port() {
  local p i
  for i in $(seq 1 200); do
    # below the kernel's ephemeral range (32768-60999 by default): a port there can be
    # taken by any outgoing connection between our probe and the server's bind
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    case "$used" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used="$used$p "
      echo "$p"
      return 0
    fi
  done
  fail "no free loopback port found"
}
etcd_port=$(free_port)
peer_port=$(free_port)
api_port=$(free_port)

# --- etcd --------------------------------------------------------------------------------------
start=$(date +%s.%N)
rm -rf "$dir/etcd-data"
setsid "$ETCD" --name dm-test --data-dir "$dir/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "dm-test=http://127.0.0.1:$peer_port" --log-level warn \
  >"$dir/etcd.log" 2>&1 </dev/null &
echo $! >"$dir/etcd.pid"

deadline=$(( $(date +%s) + timeout_s ))
until grep -q '"health":"true"' <<<"$(curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null)"; do
  kill -0 "$(cat "$dir/etcd.pid")" 2>/dev/null || fail "etcd exited during start-up"
  [ "$(date +%s)" -lt "$deadline" ] || fail "etcd not healthy after ${timeout_s}s"
  sleep 0.2
done

# --- kube-apiserver ----------------------------------------------------------------------------
api_start=$(date +%s.%N)
node_flags=()
if [ "$node" = 1 ]; then
  # logs, exec and port-forward go to the kubelet by the node's only address, 127.0.0.1
  node_flags=(--kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key"
              --kubelet-preferred-address-types=InternalIP)
fi
start_apiserver() {
  setsid "$KUBE_APISERVER" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
    --tls-cert-file="$pki/server.crt" --tls-private-key-file="$pki/server.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/24 --allow-privileged=false \
    --enable-priority-and-fairness=false --profiling=false --cert-dir="$dir/apiserver-certs" \
    "${node_flags[@]}" --v=1 >"$dir/apiserver.log" 2>&1 </dev/null &
  echo $! >"$dir/apiserver.pid"
  server=https://127.0.0.1:$api_port
}
start_apiserver
binds=0
ready=
while :; do
  if ready=$(curl -sS --max-time 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
               "$server/readyz" 2>/dev/null) && [ "$ready" = ok ]; then
    break
  fi
  if ! kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null; then
    # another process took the port between the probe and the bind: try another, twice
    if grep -q 'address already in use' "$dir/apiserver.log" && [ "$binds" -lt 2 ]; then
      binds=$((binds + 1))
      api_port=$(free_port)
      start_apiserver
      continue
    fi
    fail "kube-apiserver exited during start-up"
  fi
  kill -0 "$(cat "$dir/etcd.pid")" 2>/dev/null || fail "etcd exited while kube-apiserver was starting"
  [ "$(date +%s)" -lt "$deadline" ] || fail "kube-apiserver not ready after ${timeout_s}s (last /readyz: ${ready:-no answer})"
  sleep 0.3
done
end=$(date +%s.%N)
boot=$(awk -v a="$api_start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
total=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

# --- kubeconfigs and env -----------------------------------------------------------------------
b64() { base64 -w0 <"$1"; }
kubeconfig() { # FILE USER-YAML CLUSTER-YAML
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dm-test
  cluster:
    server: $server
$3
contexts:
- name: dm-test
  context:
    cluster: dm-test
    user: dm-test-user
current-context: dm-test
users:
- name: dm-test-user
  user:
$2
EOF
  chmod 0600 "$1"
}
ca_data="    certificate-authority-data: $(b64 "$pki/ca.crt")"
kubeconfig "$dir/kubeconfig" "    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")" "$ca_data"
kubeconfig "$dir/kubeconfig-token" "    token: $admin_token" "$ca_data"
kubeconfig "$dir/kubeconfig-cafile" "    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key" "    certificate-authority: $pki/ca.crt"
kubeconfig "$dir/kubeconfig-user" "    token: $user_token" "$ca_data"

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
cat >"$dir/env.tmp" <<EOF
export KUBECONFIG=$(q "$dir/kubeconfig")
export DM_TEST_KUBECONFIG_TOKEN=$(q "$dir/kubeconfig-token")
export DM_TEST_KUBECONFIG_CAFILE=$(q "$dir/kubeconfig-cafile")
export DM_TEST_KUBECONFIG_USER=$(q "$dir/kubeconfig-user")
export DM_TEST_K8S_SERVER=$(q "$server")
export DM_TEST_K8S_CA=$(q "$pki/ca.crt")
export DM_TEST_K8S_WRONG_CA=$(q "$pki/wrong-ca.crt")
export DM_TEST_K8S_ADMIN_TOKEN=$(q "$admin_token")
export DM_TEST_K8S_USER=dm-user
export DM_TEST_K8S_USER_TOKEN=$(q "$user_token")
export DM_TEST_K8S_DIR=$(q "$dir")
export DM_TEST_K8S_BOOT_S=$boot
export DM_TEST_KUBECTL=$(q "$KUBECTL")
export DM_TEST_HELM=$(q "$HELM")
EOF
chmod 0600 "$dir/env.tmp"
node_msg=
if [ "$node" = 1 ]; then
  # shellcheck source=k8s-node.sh
  . "$here/k8s-node.sh"
  node_up
  node_msg="; node $node_name Ready ${node_boot}s later"
fi
mv "$dir/env.tmp" "$dir/env"
trap - ERR
say "kube-apiserver $("$KUBE_APISERVER" --version | awk '{print $2}') ready at $server in ${boot}s (etcd + API server: ${total}s)${node_msg}; env: $dir/env"

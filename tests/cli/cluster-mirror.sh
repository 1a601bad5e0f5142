#!/usr/bin/env bash
# dm-cluster start with a minikube target's registry_mirror (the original's pull-through cache
# beside the cluster): each mirror reaches minikube as --registry-mirror, a plain-http one also as
# --insecure-registry HOST:PORT, as the fake minikube's argv log shows (its cluster is the test
# bed's API server, fixture "k8s"); bad values are configuration errors with file:line; other
# providers refuse the key.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"
fake_minikube_on_bed
ns=dmm-$id
trap 'kc delete ns "$ns" --ignore-not-found --wait=false >/dev/null 2>&1' EXIT
flavour "$ns"
cat >"$P/k8s/configs/mk.yaml" <<'EOT'
provider: minikube
profile: dmmirror
cpus: 1
registry_mirror:
  - http://192.168.49.1:5000
  - https://mirror.example.org/
EOT
M="--registry-mirror http://192.168.49.1:5000 --insecure-registry 192.168.49.1:5000 --registry-mirror https://mirror.example.org/"

run 0 -f "$F" --dry-run start
grep -qxF "$DM_MINIKUBE start -p dmmirror --cpus 1 $M" "$T/out" || fail "--dry-run start: $(cat "$T/out")"
pass "--dry-run shows the mirrors"

log_reset
run 0 -f "$F" start
log_has "minikube start -p dmmirror --cpus 1 $M"
pass "start passes each mirror to minikube"

# one URL (not a list) is one mirror
printf 'provider: minikube\nprofile: dmmirror2\nregistry_mirror: https://mirror.example.org:5443\n' >"$P/k8s/configs/one.yaml"
log_reset
run 0 -f "$F" --target "$P/k8s/configs/one.yaml" start
log_has "minikube start -p dmmirror2 --registry-mirror https://mirror.example.org:5443"
log_lacks "minikube start .*--insecure-registry.*"
pass "one https mirror, no --insecure-registry"
run 0 -f "$F" --target "$P/k8s/configs/one.yaml" --yes delete

bad_target 2:18 "registry_mirror 'http://h:5000/v2' must be http://HOST[:PORT] or https://HOST[:PORT] (a registry, no path)" \
  "provider: minikube" "registry_mirror: http://h:5000/v2"
bad_target 2:18 "registry_mirror 'ftp://h' must be http://HOST[:PORT]" "provider: minikube" "registry_mirror: ftp://h"
bad_target 2:18 "registry_mirror 'http://a,http://b' must be" "provider: minikube" "registry_mirror: http://a,http://b"
bad_target 2:18 "'registry_mirror' cannot start with '-'" "provider: minikube" "registry_mirror: --help"
bad_target 2:1 "key 'registry_mirror' does not apply to provider microk8s" "provider: microk8s" "registry_mirror: http://h:5000"
pass "bad mirrors: exit 3 with file:line"
run 0 -f "$F" --yes delete

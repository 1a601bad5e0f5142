#!/usr/bin/env bash
# tests/cli/content-check.py fails where it must: each check on tests/fixtures/content-bad (a
# platform that breaks every rule once) exits 1 with exactly the failures expected, and the schema
# check exits 2, naming the package, when the JSON Schema validator cannot be imported.
set -uo pipefail

F=$DM_SOURCE_DIR/tests/fixtures/content-bad
CHECK=$DM_SOURCE_DIR/tests/cli/content-check.py
work=$(mktemp -d "${DM_TEST_WORK:-/tmp}/content-fixtures.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# check NAME WANT-RC: runs the check on the fixture platform; its FAIL lines must be exactly those
# of $work/want (in any order)
check() {
  local rc=0
  python3 "$CHECK" "$1" --root "$F" --bin "$DM_BIN" --fixtures "$DM_SOURCE_DIR/tests/fixtures" \
    >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" -eq "$2" ] && ok "$1: exit $rc" || { fail "$1: exit $rc, wanted $2"; cat "$work/err"; }
  grep '^FAIL: ' "$work/out" | sort >"$work/got"
  sort "$work/want" >"$work/want.sorted"
  if diff "$work/want.sorted" "$work/got" >"$work/diff"; then
    ok "$1: $(wc -l <"$work/got") failures, each as expected"
  else
    fail "$1: failures differ (< expected, > got)"; cat "$work/diff"
  fi
}

cat >"$work/want" <<'W'
FAIL: schemas: cb-metallb pins metallb 0.15.1 but the vendored schema is metallb-0.15.2: vendor the schema of metallb-0.15.1
FAIL: schemas: cb-traefik (traefik 41.3.0) in bad.yaml: deployment.replicas: 'two' is not of type 'integer', 'null'
FAIL: schemas: cb-traefik (traefik 41.3.0) in bad.yaml: ingressClass.isDefaultClass: 'yes' is not of type 'boolean'
FAIL: schemas: cb-rabbitmq (rabbitmq 16.0.0) in bad.yaml: replicaCount: 'one' is not of type 'integer'
FAIL: schemas: jupyterhub-4.2.0 is vendored but no component of any flavour uses that chart version
FAIL: schemas: metallb-0.15.2 is vendored but no component of any flavour uses that chart version
FAIL: schemas: superset-operator-0.2.0 is vendored but no component of any flavour uses that chart version
W
check schemas 1

cat >"$work/want" <<'W'
FAIL: images: components/cb-bitnami/values.yaml: image: bitnami/kafka: Bitnami moved its versioned images to docker.io/bitnamilegacy (August 2025, bitnami/charts issue #35164)
FAIL: images: components/cb-images/pods.yaml: spec.containers.0.image: busybox names no tag or digest
FAIL: images: components/cb-images/pods.yaml: spec.containers.1.image: alpine:latest uses the tag 'latest'
FAIL: images: components/cb-images/pods.yaml: spec.containers.2.image: gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1: Kubebuilder's images on gcr.io were removed in 2025-2026
FAIL: images: components/cb-images/pods.yaml: spec.containers.4.image: localhost:5000/data-mill/nosuch:1.0: no Containerfile for 'nosuch' under images/ (images/build.sh cannot build it)
FAIL: images: components/cb-images/pods.yaml: spec.containers.5.image: localhost:5000/data-mill/pydl_gpu_env:2.0: images/build.sh builds it as pydl_gpu_env:1.0 (the version label of images/notebooks/pydl_gpu_env/Containerfile)
FAIL: images: components/cb-traefik/values.yaml: image.tag: the tag 'latest'
FAIL: images: images/bad/Containerfile: FROM quay.io/jupyter/scipy-notebook:latest uses the tag 'latest'
FAIL: images: cb-bitnami: Bitnami chart oci://registry-1.docker.io/bitnamicharts/kafka without image.repository bitnamilegacy/... and global.security.allowInsecureImages: true
W
check images 1

cat >"$work/want" <<'W'
FAIL: hosts: cb-deadhost points at helm.pachyderm.com (https://helm.pachyderm.com): the pachyderm.com domain lapsed in 2025; the chart repository is gone (pachyderm/pachyderm issue #10509)
FAIL: hosts: cb-nginx points at kubernetes.github.io/ingress-nginx (https://kubernetes.github.io/ingress-nginx): ingress-nginx was retired by Kubernetes SIG Network in March 2026: no releases, no security fixes
W
check hosts 1

cat >"$work/want" <<'W'
FAIL: docs: docs/components.md has no table row for the component 'cb-arango'
FAIL: docs: docs/components.md has no table row for the component 'cb-bitnami'
FAIL: docs: docs/components.md has no table row for the component 'cb-gpu'
FAIL: docs: docs/components.md has no table row for the component 'cb-gpu-undeclared'
FAIL: docs: docs/components.md has no table row for the component 'cb-gpu-ungated'
FAIL: docs: docs/components.md has no table row for the component 'cb-deadhost'
FAIL: docs: docs/components.md has no table row for the component 'cb-kafka-cluster'
FAIL: docs: docs/components.md has no table row for the component 'kafka'
FAIL: docs: docs/components.md has no table row for the component 'cb-metallb'
FAIL: docs: docs/components.md has no table row for the component 'cb-nginx'
FAIL: docs: the row of 'cb-traefik' in docs/components.md has no date checked
W
check docs 1

cat >"$work/want" <<'W'
FAIL: crds: fixtures/crds/strimzi-1.2.0 holds the CRDs of kafka 1.2.0 but the component pins 1.1.0: vendor those of 1.1.0
FAIL: crds: cb-kafka-cluster: components/cb-kafka-cluster/kafka.yaml Kafka/typo: spec.kafka: 'listeners' is a required property
FAIL: crds: cb-kafka-cluster: components/cb-kafka-cluster/kafka.yaml Kafka/typo: spec.kafka: Additional properties are not allowed ('listners' was unexpected)
FAIL: crds: cb-arango: components/cb-arango/single.yaml ArangoDeployment/typo: spec: Additional properties are not allowed ('singel' was unexpected)
FAIL: crds: cb-kafka-cluster: components/cb-kafka-cluster/kafka.yaml Widget/unknown: no CRD schema for example.com/v1 Widget (vendor it under tests/fixtures/crds)
W
check crds 1

cat >"$work/want" <<'W'
FAIL: gpu: cb-gpu-ungated in bad.yaml: worker asks for nvidia.com/gpu but the component declares no `requires`: dm-helm install would not check the cluster's GPUs first
FAIL: gpu: cb-gpu-undeclared in bad.yaml: singleuser.profileList.0.kubespawner_override runs quay.io/jupyter/pytorch-notebook:cuda12-python-3.11 on a GPU, but it is not among the component's requires.gpu images (none)
FAIL: gpu: cb-gpu in bad.yaml: dm-gpu does not know the image example.org/no-such-notebook:1.0: add it to k8s/gpu-images.yaml
FAIL: gpu: images/notebooks/pydl_gpu_env/Containerfile: dm-gpu says localhost:5000/data-mill/pydl_gpu_env:1.0 needs CUDA 12.1 but its base image nvidia/cuda:12.4.1-base-ubuntu22.04 needs CUDA 12.4: correct k8s/gpu-images.yaml
W
check gpu 1

# no validator: a module named jsonschema that cannot be imported shadows the real one
mkdir -p "$work/nojs"
echo 'raise ImportError("hidden by the test")' >"$work/nojs/jsonschema.py"
rc=0
PYTHONPATH=$work/nojs python3 "$CHECK" schemas --root "$DM_SOURCE_DIR" --bin "$DM_BIN" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" -eq 2 ] && ok "schemas without the validator: exit 2" || fail "schemas without the validator: exit $rc, wanted 2"
grep -qF "content-check: error: the JSON Schema validator is missing: install python3-jsonschema" "$work/err" &&
  ok "schemas without the validator: names python3-jsonschema" || { fail "no message naming python3-jsonschema"; cat "$work/err"; }

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all content-check failure checks passed"

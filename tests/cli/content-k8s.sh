#!/usr/bin/env bash
# The local charts of helm-charts/ and the manifests of the operators' instances on the test bed's
# real API server (fixture k8s; no images are pulled, nothing needs the network):
#   - helm-charts/druid-operator (vendored) passes `helm lint --strict`; rendered with
#     components/druid/values.yaml it names exactly the pinned images (never gcr.io/kubebuilder);
#   - its CRDs are created on the API server; every object of the rendered druid-operator and
#     mlflow charts, and the druid-cluster manifests (Druid CR, ZooKeeper), pass a server-side dry
#     run in a namespace of their own; a Druid resource whose spec breaks the CRD is refused
#     (the CRD's schema is enforced, so the acceptance above means something);
#   - the superset-instance manifests (Superset resource, PostgreSQL metastore) pass a server-side
#     dry run, with a Superset CRD made from the vendored schema of superset-operator 0.2.0
#     (without its CEL rules and empty-string defaults, which this 1.20 API server refuses);
#   - cleanup: the CRDs and the namespace are deleted.
set -uo pipefail
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
# dm-helm finds helm and kubectl through its own variables (or PATH), never the test bed's
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
: "${DM_TEST_HELM:?}" "${DM_TEST_KUBECTL:?}"
H=$DM_TEST_HELM
K=$DM_TEST_KUBECTL
S=$DM_SOURCE_DIR
ns=dm-content
work=$(mktemp -d "$DM_TEST_WORK/content-k8s.XXXXXX")
export HELM_CACHE_HOME=$work/cache HELM_CONFIG_HOME=$work/config HELM_DATA_HOME=$work/data
cleanup() {
  $K delete -f "$S/helm-charts/druid-operator/crds/" --ignore-not-found >/dev/null 2>&1
  $K delete crd supersets.superset.apache.org --ignore-not-found >/dev/null 2>&1
  $K delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# --- the vendored Druid operator chart ---------------------------------------------------------
if out=$("$H" lint --strict "$S/helm-charts/druid-operator" -f "$S/components/druid/values.yaml" 2>&1) &&
  echo "$out" | grep -q '1 chart(s) linted, 0 chart(s) failed'; then
  ok "helm lint --strict helm-charts/druid-operator"
else
  fail "helm lint --strict helm-charts/druid-operator:"; echo "$out"
fi
if "$H" template druid-operator "$S/helm-charts/druid-operator" --namespace "$ns" \
  -f "$S/components/druid/values.yaml" >"$work/druid.yaml" 2>"$work/err"; then
  ok "helm template druid-operator with components/druid/values.yaml"
else
  fail "helm template druid-operator:"; cat "$work/err"
fi
images=$(sed -n 's/^ *image: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' "$work/druid.yaml" | sort -u | tr '\n' ' ')
want="datainfrahq/druid-operator:v1.3.0 quay.io/brancz/kube-rbac-proxy:v0.13.1 "
[ "$images" = "$want" ] && ok "druid-operator's images: $images" || fail "druid-operator's images '$images', wanted '$want'"

# --- mlflow, this repository's chart -----------------------------------------------------------
if "$H" template mlflow "$S/helm-charts/mlflow" --namespace "$ns" -f "$S/components/mlflow/values.yaml" \
  --set artifacts.s3.endpoint=http://minio.$ns.svc.cluster.local:9000 \
  --set artifacts.s3.existingSecret=minio-credentials >"$work/mlflow.yaml" 2>"$work/err"; then
  ok "helm template mlflow with components/mlflow/values.yaml"
else
  fail "helm template mlflow:"; cat "$work/err"
fi

# --- on the API server -------------------------------------------------------------------------
$K create namespace "$ns" >/dev/null || fail "kubectl create namespace $ns"
# create, not apply: the Druid CRD is larger than apply's last-applied annotation may be
established() { # CRD: within 60 s (kubectl wait errs while the CRD has no status yet: retried)

  for _ in $(seq 60); do
    $K wait --for condition=established --timeout=1s "crd/$1" >>"$work/out" 2>&1 && return 0
    sleep 1
  done
  return 1
}
if $K create -f "$S/helm-charts/druid-operator/crds/" >"$work/out" 2>&1 &&
  established druids.druid.apache.org && established druidingestions.druid.apache.org; then
  ok "the Druid operator's CRDs are established"
else
  fail "creating the Druid CRDs:"; cat "$work/out"
fi
dry() { # WHAT FILE...: every object of the files passes a server-side dry run in $ns
  local what=$1 f args=()
  shift
  for f in "$@"; do args+=(-f "$f"); done
  if $K apply --dry-run=server -n "$ns" "${args[@]}" >"$work/out" 2>&1; then
    ok "$what: $(wc -l <"$work/out") objects accepted by the API server (dry run)"
  else
    fail "$what: refused by the API server:"; cat "$work/out"
  fi
}
dry "druid-operator (rendered)" "$work/druid.yaml"
dry "mlflow (rendered)" "$work/mlflow.yaml"
dry "druid-cluster" "$S/components/druid-cluster/tiny-cluster-zk.yaml" "$S/components/druid-cluster/tiny-cluster.yaml"
grep -q '^druid.druid.apache.org/tiny-cluster' "$work/out" && ok "druid-cluster: the Druid resource tiny-cluster" ||
  fail "druid-cluster: no Druid resource in the dry run"
cat >"$work/bad-druid.yaml" <<'EOF'
apiVersion: druid.apache.org/v1alpha1
kind: Druid
metadata:
  name: bad
spec:
  image: apache/druid:25.0.0
  nodes: not-a-map
EOF
if $K apply --dry-run=server -n "$ns" -f "$work/bad-druid.yaml" >"$work/out" 2>&1; then
  fail "a Druid resource with spec.nodes a string was accepted: the CRD's schema is not enforced"
else
  grep -q 'spec.nodes' "$work/out" && ok "a Druid resource that breaks the CRD is refused (spec.nodes)" ||
    { fail "refused, but not for spec.nodes:"; cat "$work/out"; }
fi
# --- superset-instance: the Superset resource and its metastore --------------------------------
# The Superset CRD made from the vendored schema (the CRD's own file is not vendored; its
# openAPIV3Schema is, tests/fixtures/crds/superset-operator-0.2.0), so the dry run checks the
# resource with the operator's schema; the metastore's StatefulSet, Service and ConfigMap are
# Kubernetes' own kinds. Two things this API server (1.20) refuses are left out of the CRD here:
# the CEL rules (x-kubernetes-validations, 1.25; content_crds does not evaluate them either)
# and the empty-string defaults of the Secret and ConfigMap references (`default: ""`, which
# 1.20 reads as null, "must be of type string"). Neither decides whether superset.yaml passes.
python3 - "$S/tests/fixtures/crds/superset-operator-0.2.0/superset.apache.org_v1alpha1_Superset.json" \
  >"$work/superset-crd.json" <<'PY'
import json, sys


def for_1_20(node):
    if isinstance(node, dict):
        return {k: for_1_20(v) for k, v in node.items()
                if k != "x-kubernetes-validations" and not (k == "default" and v == "")}
    if isinstance(node, list):
        return [for_1_20(v) for v in node]
    return node


schema = for_1_20(json.load(open(sys.argv[1])))
print(json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                  "metadata": {"name": "supersets.superset.apache.org"},
                  "spec": {"group": "superset.apache.org", "scope": "Namespaced",
                           "names": {"kind": "Superset", "listKind": "SupersetList",
                                     "plural": "supersets", "singular": "superset"},
                           "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                                         "schema": {"openAPIV3Schema": schema}}]}}))
PY
if $K create -f "$work/superset-crd.json" >"$work/out" 2>&1 && established supersets.superset.apache.org; then
  ok "the Superset CRD (superset-operator 0.2.0's schema) is established"
else
  fail "creating the Superset CRD:"; cat "$work/out"
fi
dry "superset-instance" "$S/components/superset-instance/metastore.yaml" \
  "$S/components/superset-instance/options.yaml" "$S/components/superset-instance/superset.yaml"
for o in statefulset.apps/superset-metastore service/superset-metastore configmap/superset-options \
  superset.superset.apache.org/superset; do
  grep -q "^$o" "$work/out" && ok "superset-instance: $o" || fail "superset-instance: no $o in the dry run"
done

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all content checks on the API server passed"

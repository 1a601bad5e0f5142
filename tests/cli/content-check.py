#!/usr/bin/env python3
"""Checks of the platform's content that need no network and no cluster.

Usage: content-check.py CHECK [--root DIR] [--bin DIR]
  CHECK  schemas  each helm component's values (the chart's defaults, then its values files,
                  then its `set` entries, as dm-helm resolves them for every flavour) are
                  valid against the chart's own values.schema.json, vendored under
                  tests/fixtures/schemas/<chart>-<version>/ with a SOURCE note
         images   every image reference of the content (values files, manifests, the notebook
                  Containerfiles) names a tag or digest, never `latest`, never a registry
                  known to be gone; Bitnami charts take their images from bitnamilegacy; an
                  image of ours (localhost:5000/data-mill/NAME:TAG) is one images/build.sh
                  builds: images/notebooks/NAME or images/NAME has a Containerfile whose
                  version label is TAG
         hosts    no component points at a chart host (or manifest URL) known to be dead
         crds     the custom resources of the manifest components (an operator's instance) are
                  valid against their operator's CRD at the version its component pins: the
                  CRDs of vendored charts (helm-charts/*/crds) and the schemas vendored under
                  tests/fixtures/crds/<operator>-<version>/; a field the CRD does not know is
                  an error (the API server would drop it)
         gpu      every component of a shipped flavour whose values ask for nvidia.com/gpu
                  declares `requires` (so dm-helm install runs the GPU check first); every
                  image whose pods ask for a GPU is among its `requires.gpu` images; dm-gpu
                  knows each of them (`dm-gpu check --image IMG` does not exit 2), and an
                  image built from images/notebooks/ENV needs the CUDA version of its FROM
                  image (so the table cannot drift from the Containerfile)
         docs     docs/components.md has a row for every component
  --root DIR      the platform's root (default: $DM_SOURCE_DIR); its flavours/*.yaml and
                  flavours/*/*.yaml are planned with dm-helm to find what they install
  --bin DIR       where dm-helm and dm-gpu are (default: $DM_BIN)
  --fixtures DIR  where the vendored schemas are: DIR/schemas, DIR/crds
                  (default: ROOT/tests/fixtures)
Exit 0 when every check passed, 1 when one failed (each failure is one line "FAIL: ..."),
2 on bad usage or a missing tool (the JSON Schema validator is required, never skipped).
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("content-check: error: python3-yaml is not installed (scripts/install-deps.sh)", file=sys.stderr)
    sys.exit(2)

# Chart hosts and URLs that no component may use, with the reason. A prefix matches the start
# of the URL after its scheme.
DEAD_HOSTS = {
    "helm.pachyderm.com": "the pachyderm.com domain lapsed in 2025; the chart repository is gone "
                          "(pachyderm/pachyderm issue #10509)",
    "charts.datainfra.io": "the domain lapsed and redirects to an unrelated site since 2026; whoever "
                           "holds it could serve any chart (datainfrahq/druid-operator issue #262)",
    "datainfrahq.github.io/helm-charts": "removed (datainfrahq/druid-operator issue #262)",
    "helm.min.io": "MinIO's old chart repository, 404 since 2021 (minio/minio issue #13757)",
    "kubernetes-charts.storage.googleapis.com": "the retired `stable` repository (helm/charts, 2020)",
    "kubernetes-charts-incubator.storage.googleapis.com": "the retired `incubator` repository "
                                                         "(helm/charts, 2020)",
    "kubernetes.github.io/ingress-nginx": "ingress-nginx was retired by Kubernetes SIG Network in "
                                          "March 2026: no releases, no security fixes",
}
# Image prefixes that cannot be pulled any more (or no longer get the tags a chart names).
DEAD_IMAGES = {
    "gcr.io/kubebuilder/": "Kubebuilder's images on gcr.io were removed in 2025-2026",
    "docker.io/bitnami/": "Bitnami moved its versioned images to docker.io/bitnamilegacy "
                          "(August 2025, bitnami/charts issue #35164)",
    "bitnami/": "Bitnami moved its versioned images to docker.io/bitnamilegacy "
                "(August 2025, bitnami/charts issue #35164)",
    "minio/minio": "Docker Hub's minio/minio repository was removed in September 2026 "
                   "(use quay.io/minio/minio)",
    "docker.io/minio/": "Docker Hub's minio repositories were removed in September 2026",
}
# The API groups of Kubernetes itself (not custom resources).
K8S_GROUPS = {"apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
              "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
              "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io",
              "certificates.k8s.io"}

fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg)


def ok(msg):
    print("ok: " + msg)


def plan(root, binary):
    """{flavour file: [component dict]} from `dm-helm plan` of every flavour under root."""
    flavours = sorted(glob.glob(os.path.join(root, "flavours", "*.yaml")) +
                      glob.glob(os.path.join(root, "flavours", "*", "*.yaml")))
    out = {}
    for f in flavours:
        with open(f) as fh:
            doc = yaml.safe_load(fh)
        if not isinstance(doc, dict) or "project" not in doc:
            continue  # a values file of a flavour's folder, not a flavour
        r = subprocess.run([os.path.join(binary, "dm-helm"), "-f", f, "plan"], capture_output=True,
                           text=True)
        if r.returncode != 0:
            fail("dm-helm plan %s: exit %d: %s" % (f, r.returncode, r.stderr.strip()))
            continue
        comps, c = [], None
        for line in r.stdout.splitlines():
            m = re.match(r"^\d+\. ([a-z0-9-]+) \((helm|manifest), namespace ([a-z0-9-]+)\)", line)
            if m:
                c = {"name": m.group(1), "kind": m.group(2), "values": [], "set": [], "argv_set": [],
                     "urls": []}
                comps.append(c)
                continue
            if c is None:
                continue
            m = re.match(r"^   chart    (\S+) from (\S+), version (\S+)$", line)
            if m:
                c.update(chart=m.group(1), repo=m.group(2), version=m.group(3))
                c["urls"].append(m.group(2))
                continue
            m = re.match(r"^   chart    (oci://\S+), version (\S+)$", line)
            if m:
                c.update(chart=m.group(1).rstrip("/").rsplit("/", 1)[1], oci=m.group(1),
                         version=m.group(2))
                c["urls"].append(m.group(1))
                continue
            m = re.match(r"^   chart    (/\S+)$", line)
            if m:
                c.update(chart_path=m.group(1))
                continue
            m = re.match(r"^   values   (\S+)$", line)
            if m:
                c["values"].append(m.group(1))
                continue
            m = re.match(r"^   set      ([^=]+)=(.*)$", line)
            if m:
                c["set"].append((m.group(1), m.group(2)))
                continue
            if line.startswith("   $ ") and " upgrade --install " in line:
                argv = shlex.split(line[5:])
                for i, a in enumerate(argv[:-1]):
                    if a in ("--set", "--set-string"):
                        k, _, v = argv[i + 1].partition("=")
                        c["argv_set"].append((k, re.sub(r"\\(.)", r"\1", v), a == "--set-string"))
                continue
            if line == "   requires a GPU node (nvidia.com/gpu), checked before install":
                c["gpu_any"] = True
                continue
            m = re.match(r"^   requires a GPU node for (\S+)(?: \(profile ([^)]+)\))?, checked before install$",
                         line)
            if m:
                c.setdefault("gpu_images", []).append(m.group(1))
                continue
            m = re.match(r"^   apply -([fk]) (\S+)$", line)
            if m and "://" in m.group(2):
                c["urls"].append(m.group(2))
            elif m and m.group(1) == "f":
                c.setdefault("files", []).append(m.group(2))
        out[f] = comps
    if not out:
        fail("no flavour found under %s/flavours" % root)
    return out


def coalesce(base, over):
    """Helm's merge of values: maps merge key by key, anything else replaces, null deletes."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    res = dict(base)
    for k, v in over.items():
        if v is None:
            res.pop(k, None)
        elif isinstance(v, dict) and isinstance(res.get(k), dict):
            res[k] = coalesce(res[k], v)
        else:
            res[k] = v
    return res


def set_path(values, key, value):
    parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", key)]
    v = values
    for p in parts[:-1]:
        if not isinstance(v.get(p), dict):
            v[p] = {}
        v = v[p]
    v[parts[-1]] = value


def helm_typed(raw, string):
    """A value as helm's --set (or --set-string) gives it to the chart."""
    if string:
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if re.match(r"^-?\d+$", raw):
        return int(raw)
    return raw


def validator_class(jsonschema, schema):
    """The validator of the schema's draft; "https://json-schema.org/draft-07/schema#" (as some
    charts write it) is draft 7 like its http:// spelling. "http://json-schema.org/schema#" (the
    Bitnami charts' spelling) names no draft: Helm's validator (santhosh-tekuri/jsonschema) takes
    it as the latest, 2020-12, and so does this check."""
    uri = schema.get("$schema", "")
    if re.sub(r"^http://", "https://", uri).rstrip("#/") == "https://json-schema.org/schema":
        return jsonschema.Draft202012Validator
    for cand in (uri, uri.replace("https://", "http://"), uri.rstrip("#") + "#",
                 uri.replace("https://", "http://").rstrip("#") + "#"):
        cls = jsonschema.validators.validator_for({"$schema": cand}, default=None)
        if cls is not None:
            return cls
    fail("schemas: unknown $schema '%s'" % uri)
    return jsonschema.validators.validator_for({})


def check_schemas(fixtures, planned):
    try:
        import jsonschema
    except ImportError:
        print("content-check: error: the JSON Schema validator is missing: install python3-jsonschema "
              "(scripts/install-deps.sh test)", file=sys.stderr)
        sys.exit(2)
    vendored = {os.path.basename(d) for d in glob.glob(os.path.join(fixtures, "*-*")) if os.path.isdir(d)}
    for d in sorted(vendored):
        for need in ("values.schema.json", "values.yaml", "SOURCE"):
            if not os.path.isfile(os.path.join(fixtures, d, need)):
                fail("schemas: %s lacks %s" % (d, need))
    validated = set()
    for flavour, comps in planned.items():
        for c in comps:
            if c["kind"] != "helm" or "chart" not in c:
                continue
            key = "%s-%s" % (c["chart"], c["version"])
            others = sorted(v for v in vendored if v.startswith(c["chart"] + "-") and
                            re.match(r"^\d", v[len(c["chart"]) + 1:]))
            if key not in vendored:
                if others:
                    fail("schemas: %s pins %s %s but the vendored schema is %s: vendor the schema of %s"
                         % (c["name"], c["chart"], c["version"], ", ".join(others), key))
                continue
            d = os.path.join(fixtures, key)
            with open(os.path.join(d, "values.schema.json")) as fh:
                schema = json.load(fh)
            with open(os.path.join(d, "values.yaml")) as fh:
                values = yaml.safe_load(fh) or {}
            for vf in c["values"]:
                with open(vf) as fh:
                    values = coalesce(values, yaml.safe_load(fh) or {})
            sets = {}
            for k, v, string in c["argv_set"]:  # in the order of the command line
                set_path(sets, k, helm_typed(v, string))
            for k, v in c["set"]:  # secret values reach helm on its stdin, as strings
                if v == "<secret>":
                    set_path(sets, k, "<secret>")
            values = coalesce(values, sets)
            cls = validator_class(jsonschema, schema)
            errors = sorted(cls(schema).iter_errors(values), key=lambda e: list(e.absolute_path))
            label = "%s (%s %s) in %s" % (c["name"], c["chart"], c["version"], os.path.basename(flavour))
            if errors:
                for e in errors:
                    fail("schemas: %s: %s: %s" % (label, ".".join(str(p) for p in e.absolute_path) or
                                                  "(top)", e.message))
            else:
                ok("schemas: %s valid against %s/values.schema.json" % (label, key))
            validated.add(key)
    for d in sorted(vendored - validated):
        fail("schemas: %s is vendored but no component of any flavour uses that chart version" % d)
    if not validated and not fails:
        fail("schemas: nothing was validated")


def image_ref_problem(ref):
    """Why an image reference is not pinned or cannot be pulled; None when it is fine."""
    ref = ref.strip()
    for prefix, why in DEAD_IMAGES.items():
        if ref.startswith(prefix):
            return "%s: %s" % (ref, why)
    if "@sha256:" in ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return "%s names no tag or digest" % ref
    tag = last.split(":", 1)[1]
    if tag == "latest" or not tag:
        return "%s uses the tag '%s'" % (ref, tag)
    return None


OWN_REGISTRY = "localhost:5000/data-mill/"


def own_image_problem(root, ref):
    """An image of ours (OWN_REGISTRY/NAME:TAG, built by images/build.sh) must have a
    Containerfile, images/notebooks/NAME or images/NAME, whose version label is TAG."""
    if not ref.startswith(OWN_REGISTRY):
        return None
    name, _, tag = ref[len(OWN_REGISTRY):].partition(":")
    for d in (os.path.join(root, "images", "notebooks", name), os.path.join(root, "images", name)):
        cf = os.path.join(d, "Containerfile")
        if os.path.isfile(cf):
            with open(cf) as fh:
                m = re.search(r'^LABEL org\.opencontainers\.image\.version="([^"]*)"$', fh.read(), re.M)
            if not m or m.group(1) != tag:
                return "%s: images/build.sh builds it as %s:%s (the version label of %s)" % (
                    ref, name, m.group(1) if m else "(no label)", os.path.relpath(cf, root))
            return None
    return "%s: no Containerfile for '%s' under images/ (images/build.sh cannot build it)" % (ref, name)


def walk_images(node, path, found):
    if isinstance(node, dict):
        for k, v in node.items():
            p = path + [str(k)]
            if k == "image" and isinstance(v, str):
                found.append((".".join(p), "ref", v))
            elif (k == "image" or str(k).endswith("Image")) and isinstance(v, dict) and \
                    ("repository" in v or "name" in v):
                found.append((".".join(p), "map", v))
            elif k == "tag" and isinstance(v, str) and v == "latest":
                found.append((".".join(p), "ref", "(tag) :latest"))
            walk_images(v, p, found)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_images(v, path + [str(i)], found)


def check_images(root, planned):
    files = []
    for pat in ("components/*/*.yaml", "flavours/*.yaml", "flavours/*/*.yaml", "flavours/*/*/*.yaml"):
        files += glob.glob(os.path.join(root, pat))
    for chart in glob.glob(os.path.join(root, "helm-charts", "*")):
        if not os.path.exists(os.path.join(chart, "SOURCE")):  # our own charts; vendored ones are
            files += glob.glob(os.path.join(chart, "values.yaml"))  # pinned by their components
    n = 0
    for f in sorted(set(files)):
        rel = os.path.relpath(f, root)
        try:
            with open(f) as fh:
                docs = list(yaml.safe_load_all(fh))
        except yaml.YAMLError as e:
            fail("images: %s: not YAML: %s" % (rel, e))
            continue
        found = []
        for d in docs:
            walk_images(d, [], found)
        for where, kind, v in found:
            n += 1
            ref = v if kind == "ref" else "%s:%s" % (v.get("repository") or v.get("name"), v.get("tag"))
            why = own_image_problem(root, ref)
            if why:
                fail("images: %s: %s: %s" % (rel, where, why))
            if kind == "ref":
                why = image_ref_problem(v) if not v.startswith("(tag)") else "the tag 'latest'"
                if why:
                    fail("images: %s: %s: %s" % (rel, where, why))
                continue
            repo = v.get("repository") or v.get("name")
            if v.get("registry"):
                repo = "%s/%s" % (v["registry"], repo)
            tag, digest = v.get("tag"), v.get("digest")
            if digest:
                continue
            if tag is None or tag == "":
                # the chart's own tag stays (an empty tag means the chart's appVersion in the
                # charts that use it): pinned by the chart's version
                why = image_ref_problem(repo + ":chart-default")
                if why:
                    fail("images: %s: %s: %s" % (rel, where, why.replace(":chart-default", "")))
                continue
            why = image_ref_problem("%s:%s" % (repo, tag))
            if why:
                fail("images: %s: %s: %s" % (rel, where, why))
    for f in sorted(glob.glob(os.path.join(root, "images", "**", "Containerfile"), recursive=True)):
        rel = os.path.relpath(f, root)
        with open(f) as fh:
            for line in fh:
                m = re.match(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", line, re.I)
                if m:
                    n += 1
                    why = image_ref_problem(m.group(1))
                    if why:
                        fail("images: %s: FROM %s" % (rel, why))
    # Bitnami's charts name docker.io/bitnami images, whose versioned tags are gone: every
    # component on a Bitnami chart must take its image from bitnamilegacy (and allow it).
    seen = set()
    for comps in planned.values():
        for c in comps:
            if "oci" not in c or "/bitnamicharts/" not in c["oci"] or c["name"] in seen:
                continue
            seen.add(c["name"])
            values = {}
            for vf in c["values"]:
                with open(vf) as fh:
                    values = coalesce(values, yaml.safe_load(fh) or {})
            repo = (values.get("image") or {}).get("repository", "")
            allow = ((values.get("global") or {}).get("security") or {}).get("allowInsecureImages")
            if not repo.startswith("bitnamilegacy/") or allow is not True:
                fail("images: %s: Bitnami chart %s without image.repository bitnamilegacy/... and "
                     "global.security.allowInsecureImages: true" % (c["name"], c["oci"]))
    if n == 0:
        fail("images: no image reference found under %s" % root)
    else:
        ok("images: %d image references checked" % n)


def check_hosts(planned):
    n = 0
    seen = set()
    for flavour, comps in planned.items():
        for c in comps:
            for url in c["urls"]:
                n += 1
                bare = re.sub(r"^[a-z]+://", "", url)
                for host, why in DEAD_HOSTS.items():
                    if bare == host or bare.startswith(host + "/") or bare.startswith(host + ":"):
                        if (c["name"], host) not in seen:
                            seen.add((c["name"], host))
                            fail("hosts: %s points at %s (%s): %s" % (c["name"], host, url, why))
    if n == 0:
        fail("hosts: no chart or manifest URL found")
    else:
        ok("hosts: %d chart and manifest URLs checked against %d dead hosts" % (n, len(DEAD_HOSTS)))


def strict(schema):
    """A copy of a CRD schema in which objects with properties reject unknown fields, as a
    structural schema does by pruning them (unless it preserves unknown fields)."""
    if isinstance(schema, list):
        return [strict(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema and \
            not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def crd_schemas(root, fixtures, planned):
    """{(apiVersion, kind): (schema, where)} from vendored charts' CRDs and tests/fixtures/crds;
    a fixture whose operator version differs from the component's pinned version is an error."""
    out = {}
    versions = {}
    for comps in planned.values():
        for c in comps:
            if "version" in c:
                versions[c["name"]] = c["version"]
    for f in sorted(glob.glob(os.path.join(root, "helm-charts", "*", "crds", "*.yaml"))):
        with open(f) as fh:
            for doc in yaml.safe_load_all(fh):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                for v in doc["spec"]["versions"]:
                    sch = (v.get("schema") or {}).get("openAPIV3Schema")
                    if v.get("served") and sch:
                        out[("%s/%s" % (doc["spec"]["group"], v["name"]), doc["spec"]["names"]["kind"])] = \
                            (sch, os.path.relpath(f, root))
    for d in sorted(glob.glob(os.path.join(fixtures, "crds", "*"))):
        try:
            with open(os.path.join(d, "SOURCE")) as fh:
                src = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError) as e:
            fail("crds: %s: no readable SOURCE: %s" % (d, e))
            continue
        comp, ver = src.get("component"), str(src.get("version"))
        if comp in versions and versions[comp] != ver:
            fail("crds: %s holds the CRDs of %s %s but the component pins %s: vendor those of %s"
                 % (os.path.relpath(d, os.path.dirname(os.path.abspath(fixtures))), comp, ver,
                    versions[comp], versions[comp]))
        for f in sorted(glob.glob(os.path.join(d, "*.json"))):
            group, version, kind = os.path.basename(f)[:-5].rsplit("_", 2)
            with open(f) as fh:
                out[("%s/%s" % (group, version), kind)] = (json.load(fh), os.path.relpath(f, root))
    return out


def check_crds(root, fixtures, planned):
    try:
        import jsonschema
    except ImportError:
        print("content-check: error: the JSON Schema validator is missing: install python3-jsonschema "
              "(scripts/install-deps.sh test)", file=sys.stderr)
        sys.exit(2)
    schemas = crd_schemas(root, fixtures, planned)
    files = set()
    for comps in planned.values():
        for c in comps:
            if c["kind"] == "manifest":
                for f in c.get("files", []):
                    files.add((c["name"], f))
    n = 0
    for name, f in sorted(files):
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d]
        for d in docs:
            api, kind = d.get("apiVersion", ""), d.get("kind", "")
            if "/" not in api or api.split("/")[0] in K8S_GROUPS:
                continue  # Kubernetes' own kinds
            where = "%s: %s %s/%s" % (name, os.path.relpath(f, root), kind,
                                      (d.get("metadata") or {}).get("name", "?"))
            if (api, kind) not in schemas:
                fail("crds: %s: no CRD schema for %s %s (vendor it under tests/fixtures/crds)"
                     % (where, api, kind))
                continue
            schema, src = schemas[(api, kind)]
            body = {k: v for k, v in d.items() if k not in ("apiVersion", "kind", "metadata")}
            top = strict(schema)
            top.get("properties", {}).pop("metadata", None)
            top.get("properties", {}).pop("apiVersion", None)
            top.get("properties", {}).pop("kind", None)
            if "required" in top:
                top["required"] = [r for r in top["required"] if r not in ("apiVersion", "kind", "metadata")]
            errors = sorted(jsonschema.Draft4Validator(top).iter_errors(body),
                            key=lambda e: list(e.absolute_path))
            n += 1
            if errors:
                for e in errors:
                    fail("crds: %s: %s: %s" % (where, ".".join(str(p) for p in e.absolute_path) or "(top)",
                                               e.message))
            else:
                ok("crds: %s valid against %s" % (where, src))
    if n == 0 and not fails:
        fail("crds: no custom resource was validated")


def gpu_asks(node, path, found):
    """(where, image or None) for each place of a values tree that asks for nvidia.com/gpu: a map
    whose resources.limits (or extra_resource_limits, KubeSpawner's) names it, with the image of
    that map (a string, or repository/name and tag) when it has one."""
    if isinstance(node, list):
        for i, v in enumerate(node):
            gpu_asks(v, path + [str(i)], found)
        return
    if not isinstance(node, dict):
        return
    limits = dict((node.get("resources") or {}).get("limits") or {})
    limits.update(node.get("extra_resource_limits") or {})
    if "nvidia.com/gpu" in limits:
        img = node.get("image")
        if isinstance(img, dict):
            repo = img.get("repository") or img.get("name")
            img = "%s:%s" % (repo, img["tag"]) if repo and img.get("tag") else repo
        found.append((".".join(path) or "(top)", img if isinstance(img, str) else None))
    for k, v in node.items():
        gpu_asks(v, path + [str(k)], found)


def dm_gpu_needs(binary, image):
    """(exit code, CUDA version, minimum driver, image name) of `dm-gpu check --image IMAGE`."""
    r = subprocess.run([os.path.join(binary, "dm-gpu"), "check", "--image", image, "--json"],
                       capture_output=True, text=True)
    if r.returncode == 2:
        return 2, None, None, r.stderr.strip()
    try:
        req = json.loads(r.stdout)["requirements"]
    except (ValueError, KeyError, TypeError):
        return r.returncode, None, None, "no JSON document: " + r.stderr.strip()
    return r.returncode, req.get("cuda"), req.get("min_driver"), (req.get("image") or {}).get("name")


def check_gpu(root, binary, planned):
    if not os.access(os.path.join(binary, "dm-gpu"), os.X_OK):
        print("content-check: error: no dm-gpu in '%s' (--bin or $DM_BIN)" % binary, file=sys.stderr)
        sys.exit(2)
    known = {}
    n = 0
    for flavour, comps in planned.items():
        fl = os.path.basename(flavour)
        for c in comps:
            declared = c.get("gpu_images", [])
            values = {}
            for vf in c["values"]:
                with open(vf) as fh:
                    values = coalesce(values, yaml.safe_load(fh) or {})
            asks = []
            gpu_asks(values, [], asks)
            if asks and not declared and not c.get("gpu_any"):
                fail("gpu: %s in %s: %s asks for nvidia.com/gpu but the component declares no `requires`: "
                     "dm-helm install would not check the cluster's GPUs first" % (c["name"], fl, asks[0][0]))
            for where, img in asks:
                if img and img not in declared:
                    fail("gpu: %s in %s: %s runs %s on a GPU, but it is not among the component's "
                         "requires.gpu images (%s)" % (c["name"], fl, where, img, ", ".join(declared) or "none"))
            for img in declared:
                n += 1
                if img not in known:
                    known[img] = dm_gpu_needs(binary, img)
                rc, cuda, driver, name = known[img]
                if rc == 2 or not cuda:
                    print("  dm-gpu check --image %s: exit %d: %s" % (img, rc, name))
                    fail("gpu: %s in %s: dm-gpu does not know the image %s: add it to k8s/gpu-images.yaml"
                         % (c["name"], fl, img))
                    continue
                ok("gpu: %s in %s: %s is %s for dm-gpu: CUDA %s%s"
                   % (c["name"], fl, img, name, cuda, ", driver %s or newer" % driver if driver else ""))
                # an image built here from images/notebooks/ENV needs what its FROM image needs
                env = img.rsplit("/", 1)[-1].split(":", 1)[0]
                cf = os.path.join(root, "images", "notebooks", env, "Containerfile")
                if not os.path.isfile(cf):
                    continue
                with open(cf) as fh:
                    froms = [m.group(1) for m in (re.match(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", ln, re.I)
                                                  for ln in fh) if m]
                base = froms[-1] if froms else None
                if base is None:
                    fail("gpu: %s: no FROM line" % os.path.relpath(cf, root))
                    continue
                if base not in known:
                    known[base] = dm_gpu_needs(binary, base)
                brc, bcuda, _, bname = known[base]
                if brc == 2 or not bcuda:
                    print("  dm-gpu check --image %s: exit %d: %s" % (base, brc, bname))
                    fail("gpu: %s: its base image %s is unknown to dm-gpu: add it to k8s/gpu-images.yaml"
                         % (os.path.relpath(cf, root), base))
                elif bcuda != cuda:
                    fail("gpu: %s: dm-gpu says %s needs CUDA %s but its base image %s needs CUDA %s: "
                         "correct k8s/gpu-images.yaml" % (os.path.relpath(cf, root), img, cuda, base, bcuda))
                else:
                    ok("gpu: %s: FROM %s, CUDA %s as for %s" % (os.path.relpath(cf, root), base, bcuda, img))
    if n == 0 and not fails:
        fail("gpu: no shipped flavour requires a GPU image")


def check_docs(root):
    names = []
    for f in sorted(glob.glob(os.path.join(root, "components", "*", "config.yaml"))):
        with open(f) as fh:
            names.append(yaml.safe_load(fh)["name"])
    p = os.path.join(root, "docs", "components.md")
    try:
        with open(p) as fh:
            text = fh.read()
    except OSError as e:
        fail("docs: %s" % e)
        return
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([a-z0-9-]+)` \|", line)
        if m:
            rows[m.group(1)] = line
    for n in names:
        if n not in rows:
            fail("docs: docs/components.md has no table row for the component '%s'" % n)
        elif not re.search(r"\| \d{4}-\d{2}-\d{2} \|", rows[n]):
            fail("docs: the row of '%s' in docs/components.md has no date checked" % n)
    ok("docs: %d components in docs/components.md" % len(names))


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("schemas", "images", "hosts", "crds", "gpu", "docs"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    check, root, binary = args[0], os.environ.get("DM_SOURCE_DIR", "."), os.environ.get("DM_BIN", "")
    fixtures = None
    i = 1
    while i < len(args):
        if args[i] == "--root" and i + 1 < len(args):
            root = args[i + 1]
        elif args[i] == "--bin" and i + 1 < len(args):
            binary = args[i + 1]
        elif args[i] == "--fixtures" and i + 1 < len(args):
            fixtures = args[i + 1]
        else:
            print("content-check: error: unknown argument '%s'" % args[i], file=sys.stderr)
            sys.exit(2)
        i += 2
    fixtures = fixtures or os.path.join(root, "tests", "fixtures")
    if check == "docs":
        check_docs(root)
    else:
        if not binary or not os.access(os.path.join(binary, "dm-helm"), os.X_OK):
            print("content-check: error: no dm-helm in '%s' (--bin or $DM_BIN)" % binary, file=sys.stderr)
            sys.exit(2)
        planned = plan(root, binary)
        if check == "schemas":
            check_schemas(os.path.join(fixtures, "schemas"), planned)
        elif check == "images":
            check_images(root, planned)
        elif check == "crds":
            check_crds(root, fixtures, planned)
        elif check == "gpu":
            check_gpu(root, binary, planned)
        else:
            check_hosts(planned)
    if fails:
        print("%d check(s) failed" % len(fails))
        sys.exit(1)
    print("all %s checks passed" % check)


if __name__ == "__main__":
    main()

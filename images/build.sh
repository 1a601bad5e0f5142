#!/usr/bin/env bash
# Build the platform's own images and, with --push, push them to a registry the
# cluster pulls from.
#
# Usage: images/build.sh [-r REGISTRY] [-t TAG] [--push] [IMAGE...]
#   IMAGE      python_env, pyspark_env, pydl_env, pydl_gpu_env (the notebook
#              environments, images/notebooks/IMAGE) and superset
#              (images/superset); default: all of them
#   -r         image prefix (default: localhost:5000/data-mill, the registry of
#              minikube's "registry" addon as the cluster's nodes see it)
#   -t         tag (default: each image's own, the org.opencontainers.image.version
#              label of its Containerfile)
#   --push     push each image after building it
# Uses podman when it is installed, else docker. Images are named
# REGISTRY/IMAGE:TAG, e.g. localhost:5000/data-mill/python_env:2026.12.0; the
# components name exactly these (components/jupyterhub/values.yaml and the GPU
# flavour's jupyterhub-gpu-values.yaml for the notebooks, whose prepuller pulls
# them onto every node; components/superset-instance/superset.yaml).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
registry=localhost:5000/data-mill
tag=
push=0
images=()
dir_of() { # IMAGE: the folder of its Containerfile, or nothing
  local d
  for d in "$here/notebooks/$1" "$here/$1"; do
    [ -f "$d/Containerfile" ] && { echo "$d"; return; }
  done
}
while [ $# -gt 0 ]; do
  case "$1" in
    -r) registry=${2:?-r needs a registry}; shift 2 ;;
    -t) tag=${2:?-t needs a tag}; shift 2 ;;
    --push) push=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: error: unknown option '$1'" >&2; exit 2 ;;
    *) [ -n "$(dir_of "$1")" ] || { echo "build.sh: error: no image '$1' (no Containerfile in $here/notebooks/$1 or $here/$1)" >&2; exit 2; }
       images+=("$1"); shift ;;
  esac
done
[ ${#images[@]} -gt 0 ] || images=(python_env pyspark_env pydl_env pydl_gpu_env superset)
[ "$tag" != latest ] || { echo "build.sh: error: the tag must not be 'latest': the components pin theirs" >&2; exit 2; }

if command -v podman >/dev/null 2>&1; then engine=podman
elif command -v docker >/dev/null 2>&1; then engine=docker
else echo "build.sh: error: neither podman nor docker is installed" >&2; exit 1
fi

for i in "${images[@]}"; do
  d=$(dir_of "$i")
  t=$tag
  if [ -z "$t" ]; then
    t=$(sed -n 's/^LABEL org\.opencontainers\.image\.version="\([^"]*\)"$/\1/p' "$d/Containerfile")
    [ -n "$t" ] || { echo "build.sh: error: $d/Containerfile: no org.opencontainers.image.version label (give -t TAG)" >&2; exit 2; }
  fi
  image=$registry/$i:$t
  echo "build.sh: building $image" >&2
  "$engine" build -t "$image" -f "$d/Containerfile" "$d"
  if [ "$push" = 1 ]; then
    echo "build.sh: pushing $image" >&2
    "$engine" push "$image"
  fi
done

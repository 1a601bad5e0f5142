#!/usr/bin/env bash
# Build the notebook environments of the JupyterHub profiles and, with --push,
# push them to a registry the cluster pulls from.
#
# Usage: images/notebooks/build.sh [-r REGISTRY] [-t TAG] [--push] [ENV...]
#   ENV        python_env, pyspark_env, pydl_env, pydl_gpu_env (default: all four)
#   -r         image prefix (default: localhost:5000/data-mill, the registry of
#              minikube's "registry" addon as the cluster's nodes see it)
#   -t         tag (default: the tag the JupyterHub profiles use, below)
#   --push     push each image after building it
# Uses podman when it is installed, else docker. Images are named
# REGISTRY/ENV:TAG, e.g. localhost:5000/data-mill/python_env:2026.12.0; the
# JupyterHub values (components/jupyterhub/values.yaml and the GPU flavour's
# jupyterhub-gpu-values.yaml) name exactly these, and the hub's prepuller pulls
# them onto every node before users need them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
registry=localhost:5000/data-mill
tag=2026.12.0
push=0
envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r) registry=${2:?-r needs a registry}; shift 2 ;;
    -t) tag=${2:?-t needs a tag}; shift 2 ;;
    --push) push=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: error: unknown option '$1'" >&2; exit 2 ;;
    *) [ -f "$here/$1/Containerfile" ] || { echo "build.sh: error: no environment '$1' (no $here/$1/Containerfile)" >&2; exit 2; }
       envs+=("$1"); shift ;;
  esac
done
[ ${#envs[@]} -gt 0 ] || envs=(python_env pyspark_env pydl_env pydl_gpu_env)
[ "$tag" != latest ] || { echo "build.sh: error: the tag must not be 'latest': the profiles pin theirs" >&2; exit 2; }

if command -v podman >/dev/null 2>&1; then engine=podman
elif command -v docker >/dev/null 2>&1; then engine=docker
else echo "build.sh: error: neither podman nor docker is installed" >&2; exit 1
fi

for e in "${envs[@]}"; do
  image=$registry/$e:$tag
  echo "build.sh: building $image" >&2
  "$engine" build -t "$image" -f "$here/$e/Containerfile" "$here/$e"
  if [ "$push" = 1 ]; then
    echo "build.sh: pushing $image" >&2
    "$engine" push "$image"
  fi
done

#!/usr/bin/env bash
# The secrets sweep (docs/hardening.md, "Secrets"): every tool at -v and -vv, on success and
# failure paths, with every credential the test beds hold; then every stdout and stderr is
# searched for each secret.  A secret may appear only where the user asked for it: the
# stdout of dm-secrets --key / --format (checked on stderr only there).  Also: dm-secrets and
# dm-seed refuse core dumps, seen from outside the running process.
# Needs the fixtures k8s and s3 (tests/matrix.cmake).
set -uo pipefail
export LC_ALL=C
: "${DM_BIN:?}" "${DM_SOURCE_DIR:?}" "${DM_TEST_WORK:?}" "${DM_BUILD_DIR:?}"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/k8s/env"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3/env"
ADMIN=$KUBECONFIG
unset KUBECONFIG DM_FLAVOUR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
  KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT DM_NVML_LIBRARY DM_CUDA_LIBRARY DM_FAKE_NVIDIA_SCENARIO
T=$(mktemp -d "$DM_TEST_WORK/sweep.XXXXXX")
chmod 755 "$T"
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config DM_ALIASES=$T/home/aliases.yaml MC_CONFIG_DIR=$T/home/mc
mkdir -p "$HOME"
kc() { "$DM_TEST_KUBECTL" --kubeconfig "$ADMIN" "$@"; }
id=$$-$RANDOM
ns=sweep-$id
hns=sweep-helm-$id
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  kc delete namespace "$ns" "$hns" --wait=false --ignore-not-found >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
runs=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run NAME [-s] TOOL ARGS...: keeps stdout in $T/log/NAME.out and stderr in NAME.err; the exit
# code in NAME.rc.  -s: stdout may hold secrets by design (dm-secrets --key/--format): it is
# kept as NAME.data, outside the sweep.
mkdir -p "$T/log"
run() {
  local name=$1 data=0 rc=0
  shift
  [ "$1" = -s ] && { data=1; shift; }
  local tool=$1
  shift
  "${RUN_PREFIX[@]}" "$DM_BIN/$tool" "$@" >"$T/log/$name.out" 2>"$T/log/$name.err" </dev/null || rc=$?
  echo "$rc" >"$T/log/$name.rc"
  [ "$data" = 1 ] && mv "$T/log/$name.out" "$T/log/$name.data"
  runs=$((runs + 1))
  return 0
}
RUN_PREFIX=()
rc_is() { [ "$(cat "$T/log/$1.rc")" = "$2" ] && ok "$1: exit $2" || { fail "$1: exit $(cat "$T/log/$1.rc"), wanted $2"; sed 's/^/  stderr: /' "$T/log/$1.err" | head -n 5; }; }

# --- the secrets --------------------------------------------------------------------------------
secrets=()
add_secret() { [ -n "$1" ] && secrets+=("$1"); }
add_secret "$DM_TEST_S3_SECRET_KEY"
add_secret "$DM_TEST_K8S_ADMIN_TOKEN"
add_secret "$DM_TEST_K8S_USER_TOKEN"
# the admin client key, as the kubeconfig embeds it (base64) and as PEM lines
key_b64=$(sed -n 's/^ *client-key-data: *//p' "$ADMIN" | head -n 1)
add_secret "${key_b64:0:48}"
add_secret "PRIVATE KEY"
while read -r l; do add_secret "$l"; done < <(printf '%s' "$key_b64" | base64 -d | grep -v -- '-----' | head -n 3)
# a Secret for dm-secrets, with characters a shell or a log line could mangle
SK_VALUE='sweep-sk-$(x)`y`-0010'
AK_VALUE=sweep-ak-0011
add_secret "$SK_VALUE"
add_secret "$AK_VALUE"

# --- dm-seed: success and failure paths, -v and -vv ---------------------------------------------
src=$T/src
mkdir -p "$src/d"
for i in 1 2 3; do echo "file $i" >"$src/d/f$i.txt"; done
head -c 20000000 /dev/zero >"$src/big.bin"   # multipart at --multipart-threshold 16MiB
bucket=sweep-$id
hostport=${DM_TEST_S3_ENDPOINT#http://}
export MC_HOST_sweep=$MC_HOST_dmtest
for v in -v -vv; do
  run "seed-ok$v" dm-seed "$v" --no-progress "$src" "sweep/$bucket"
  rc_is "seed-ok$v" 0
  run "seed-json$v" dm-seed "$v" --json --no-progress "$src" "sweep/$bucket"
  rc_is "seed-json$v" 0
  MC_HOST_bad="http://$DM_TEST_S3_ACCESS_KEY:$SK_VALUE@$hostport" run "seed-badkey$v" dm-seed "$v" --no-progress "$src" "bad/$bucket"
  rc_is "seed-badkey$v" 1
  MC_HOST_dead="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:9" \
    run "seed-dead$v" dm-seed "$v" --no-progress --retries 0 "$src" "dead/$bucket"
  rc_is "seed-dead$v" 1
  run "seed-dry$v" dm-seed "$v" --dry-run --delete --no-progress "$src" "sweep/$bucket"
  rc_is "seed-dry$v" 0
  run "seed-job$v" dm-seed "$v" --k8s-job 2 --pvc data --flavour "$DM_SOURCE_DIR/flavours/default.yaml" "$src" "sweep/$bucket"
  rc_is "seed-job$v" 0
done
# from the alias file and from AWS_* too
printf 'aliases:\n  fromfile:\n    url: %s\n    access_key: %s\n    secret_key: %s\n' "$DM_TEST_S3_ENDPOINT" \
  "$DM_TEST_S3_ACCESS_KEY" "$DM_TEST_S3_SECRET_KEY" >"$DM_ALIASES"
chmod 600 "$DM_ALIASES"
run seed-aliasfile-vv dm-seed -vv --no-progress "$src" "fromfile/$bucket"
rc_is seed-aliasfile-vv 0
AWS_ACCESS_KEY_ID=$DM_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$DM_TEST_S3_SECRET_KEY AWS_ENDPOINT_URL=$DM_TEST_S3_ENDPOINT \
  run seed-aws-vv dm-seed -vv --no-progress "$src" "s3/$bucket"
rc_is seed-aws-vv 0
rm -f "$DM_ALIASES"

# --- dm-secrets ---------------------------------------------------------------------------------
kc create namespace "$ns" >/dev/null
kc -n "$ns" create secret generic minio --from-literal=rootUser="$AK_VALUE" --from-literal=rootPassword="$SK_VALUE" >/dev/null
for v in -v -vv; do
  for kcfile in "$ADMIN" "$DM_TEST_KUBECONFIG_TOKEN" "$DM_TEST_KUBECONFIG_CAFILE"; do
    k=$(basename "$kcfile")
    run "secrets-env-$k$v" -s dm-secrets "$v" --kubeconfig "$kcfile" --secret minio -n "$ns" --endpoint http://127.0.0.1:9000
    rc_is "secrets-env-$k$v" 0
  done
  run "secrets-key$v" -s dm-secrets "$v" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --secret minio -n "$ns" --key rootPassword
  rc_is "secrets-key$v" 0
  for f in json mc alias; do
    run "secrets-$f$v" -s dm-secrets "$v" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --secret minio -n "$ns" --format "$f" --endpoint http://127.0.0.1:9000
    rc_is "secrets-$f$v" 0
  done
  # --alias writes the keys to the alias file, and says only where
  run "secrets-alias-write$v" dm-secrets "$v" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --secret minio -n "$ns" --alias sweep --endpoint http://127.0.0.1:9000
  rc_is "secrets-alias-write$v" 0
  run "secrets-403$v" dm-secrets "$v" --kubeconfig "$DM_TEST_KUBECONFIG_USER" --secret minio -n "$ns"
  rc_is "secrets-403$v" 1
  run "secrets-404$v" dm-secrets "$v" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" --secret nosuch -n "$ns"
  rc_is "secrets-404$v" 1
done
grep -qF -- "$SK_VALUE" "$T/log/secrets-key-vv.data" && ok "dm-secrets --key printed the value it was asked for" ||
  fail "dm-secrets --key did not print the value"
grep -qF "secret_key: $SK_VALUE" "$DM_ALIASES" || grep -qF "$SK_VALUE" "$DM_ALIASES" &&
  [ "$(stat -c %a "$DM_ALIASES")" = 600 ] && ok "the alias file holds the keys, mode 0600" || fail "alias file"

# --- dm-helm: a generated Secret, passed to helm through the 0600 values file ------------------
P=$T/plat
mkdir -p "$P/flavours" "$P/components/gen"
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n' "$hns" >"$P/flavours/f.yaml"
cat >"$P/components/gen/config.yaml" <<EOF
name: gen
chart:
  path: $DM_SOURCE_DIR/tests/fixtures/charts/fx-base
secrets:
  - name: gen-keys
    keys: [access_key, secret_key]
    length: 40
secret:
  name: gen-keys
  keys:
    access_key: access_key
    secret_key: secret_key
  endpoint: http://\${release}.\${namespace}.svc.cluster.local:9000
set:
  secretData.password: \${secrets.gen-keys.secret_key}
  secretData.user: \${gen.access_key}
timeout: 2m
EOF
export DM_HELM=$DM_TEST_HELM DM_KUBECTL=$DM_TEST_KUBECTL
sed "s/    token: .*/    token: sweep-not-a-token-0012/" "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-401"
run helm-install-vv dm-helm -vv -f "$P/flavours/f.yaml" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" install
rc_is helm-install-vv 0
gen_sk=$(kc -n "$hns" get secret gen-keys -o jsonpath='{.data.secret_key}' 2>/dev/null | base64 -d)
gen_ak=$(kc -n "$hns" get secret gen-keys -o jsonpath='{.data.access_key}' 2>/dev/null | base64 -d)
[ "${#gen_sk}" = 40 ] && [ "${#gen_ak}" = 40 ] && ok "dm-helm generated the Secret (40 characters)" || fail "no generated Secret"
[ "$(kc -n "$hns" get secret gen-secret -o jsonpath='{.data.password}' 2>/dev/null | base64 -d)" = "$gen_sk" ] &&
  ok "the chart received the generated value" || fail "the chart did not receive the generated value"
add_secret "$gen_sk"
add_secret "$gen_ak"
run helm-install-v dm-helm -v -f "$P/flavours/f.yaml" --kubeconfig "$DM_TEST_KUBECONFIG_TOKEN" install
rc_is helm-install-v 0
for v in -v -vv; do
  run "helm-status$v" dm-helm "$v" -f "$P/flavours/f.yaml" --kubeconfig "$ADMIN" status
  rc_is "helm-status$v" 0
  run "helm-status-json$v" dm-helm "$v" -f "$P/flavours/f.yaml" --kubeconfig "$ADMIN" --json status
  rc_is "helm-status-json$v" 0
  run "helm-plan$v" dm-helm "$v" -f "$P/flavours/f.yaml" plan
  rc_is "helm-plan$v" 0
  run "helm-dry$v" dm-helm "$v" -f "$P/flavours/f.yaml" --dry-run install
  rc_is "helm-dry$v" 0
  run "helm-401$v" dm-helm "$v" -f "$P/flavours/f.yaml" --kubeconfig "$T/kc-401" install
done
unset DM_HELM DM_KUBECTL

# --- dm-cluster: the microk8s fake hands over a kubeconfig holding the admin token -------------
mkdir -p "$P/k8s/configs" "$T/state"
cat >"$P/flavours/c.yaml" <<EOF
project:
  k8s_namespace: $hns
  flavour: all
  k8s_default_config: none.yaml
local:
  provider: microk8s
  kubeconfig: uk/microk8s.kubeconfig
EOF
export DM_MICROK8S=$DM_SOURCE_DIR/tests/fakes/microk8s DM_FAKE_STATE=$T/state DM_FAKE_LOG=$T/fake.log
export DM_FAKE_KUBECONFIG_SOURCE=$DM_TEST_KUBECONFIG_TOKEN
for v in -v -vv; do
  run "cluster-start$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --local start
  rc_is "cluster-start$v" 0
  run "cluster-status$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --local status     # no Ready node: exit 1
  run "cluster-status-json$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --local --json status
  run "cluster-dry$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --local --dry-run start
  rc_is "cluster-dry$v" 0
done
grep -qF "$DM_TEST_K8S_ADMIN_TOKEN" "$P/flavours/uk/microk8s.kubeconfig" &&
  [ "$(stat -c %a "$P/flavours/uk/microk8s.kubeconfig")" = 600 ] &&
  ok "the microk8s kubeconfig holds the token, mode 0600" || fail "microk8s kubeconfig"
printf 'provider: remote\nkubeconfig: %s\n' "$DM_TEST_KUBECONFIG_TOKEN" >"$T/remote.yaml"
for v in -v -vv; do
  run "cluster-remote-status$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --target "$T/remote.yaml" status
  run "cluster-remote-start$v" dm-cluster "$v" -f "$P/flavours/c.yaml" --target "$T/remote.yaml" start
  rc_is "cluster-remote-start$v" 0
done
unset DM_MICROK8S DM_FAKE_STATE DM_FAKE_LOG DM_FAKE_KUBECONFIG_SOURCE

# --- dm-gpu --kubeconfig -----------------------------------------------------------------------
FK=$DM_BUILD_DIR/fakes/nvidia/current
RUN_PREFIX=(env DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$FK/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$FK/libcuda.so.1")
for v in -v -vv; do
  for kcfile in "$ADMIN" "$DM_TEST_KUBECONFIG_TOKEN" "$DM_TEST_KUBECONFIG_USER"; do
    k=$(basename "$kcfile")
    run "gpu-$k$v" dm-gpu "$v" check --kubeconfig "$kcfile" --node sweep-node
    run "gpu-json-$k$v" dm-gpu "$v" check --json --kubeconfig "$kcfile" --node sweep-node
  done
done
RUN_PREFIX=()

# --- the sweep ------------------------------------------------------------------------------------
n_files=$(find "$T/log" -name '*.out' -o -name '*.err' | wc -l)
leaks=0
for s in "${secrets[@]}"; do
  hits=$(grep -rlF --include='*.out' --include='*.err' -- "$s" "$T/log" || true)
  if [ -n "$hits" ]; then
    leaks=$((leaks + 1))
    fail "a secret (${#s} characters, starting '${s:0:4}') appears in: $(echo "$hits" | xargs -n1 basename | tr '\n' ' ')"
  fi
done
# -vv must have said something for the sweep to mean anything
grep -q "^uploaded " "$T/log/seed-ok-v.out" && ok "dm-seed -v lists the files it uploaded" || fail "dm-seed -v lists nothing"
grep -q "GET $DM_TEST_K8S_SERVER/api/v1/namespaces/$ns/secrets/minio" "$T/log/secrets-key-vv.err" &&
  ok "dm-secrets -vv shows its requests" || fail "dm-secrets -vv shows no requests"
grep -q "upgrade --install gen" "$T/log/helm-install-vv.err" && ok "dm-helm -vv shows the helm command" ||
  fail "dm-helm -vv shows no helm command"
grep -q "microk8s config" "$T/log/cluster-start-vv.err" && ok "dm-cluster -vv shows the microk8s commands" ||
  fail "dm-cluster -vv shows no commands"
[ "$leaks" = 0 ] && ok "no secret in $n_files outputs of $runs runs (${#secrets[@]} secrets searched)"

# --- core dumps: dm-secrets and dm-seed, seen from outside -----------------------------------------
# Started with an unlimited core limit as an unprivileged user, each process is inspected while it
# runs: /proc/PID/limits must show "Max core file size 0 0" (RLIMIT_CORE lowered) and
# /proc/PID/status must belong to root: the kernel gives the files of /proc/PID to root while a
# process is not dumpable (PR_SET_DUMPABLE 0), to the process's own user otherwise (the folder
# /proc/PID itself keeps its first owner, so it tells nothing).  A control process shows the other
# side of both.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
[ "$(id -u)" = 0 ] || nobody=()
probe() { # PID LABEL
  local pid=$1 label=$2 lim owner
  lim=$(grep 'Max core file size' "/proc/$pid/limits" 2>/dev/null | awk '{print $5, $6}')
  owner=$(stat -c %u "/proc/$pid/status" 2>/dev/null)
  [ "$lim" = "0 0" ] && ok "$label: RLIMIT_CORE 0 while running" || fail "$label: core limit '$lim'"
  if [ "${#nobody[@]}" -gt 0 ]; then
    [ "$owner" = 0 ] && ok "$label: not dumpable (/proc/PID/status owned by root, process runs as 65534)" ||
      fail "$label: dumpable (/proc/PID/status owned by $owner)"
  fi
}
# control: the same probe sees a dumpable process (sleep) as dumpable
"${nobody[@]}" prlimit --core=unlimited:unlimited sleep 5 &
ctl=$!; pids+=("$ctl"); sleep 0.3
if [ "${#nobody[@]}" -gt 0 ] && [ "$(stat -c %u "/proc/$ctl/status")" = 65534 ] &&
  grep -q 'Max core file size *unlimited' "/proc/$ctl/limits"; then
  ok "control: a dumpable process shows its own uid and an unlimited core limit"
elif [ "${#nobody[@]}" -gt 0 ]; then
  fail "control: the probe does not tell dumpable processes apart"
fi
kill "$ctl" 2>/dev/null
# a server that accepts and never answers holds dm-seed (and the exec plugin holds dm-secrets)
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
end = time.time() + 30
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept())
    except OSError: pass
' >"$T/port" &
pids+=("$!")
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
chmod -R a+rX "$src"
MC_HOST_hold="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:$(cat "$T/port")" \
  "${nobody[@]}" prlimit --core=unlimited:unlimited "$DM_BIN/dm-seed" --no-progress --retries 0 "$src" hold/bucket \
  >/dev/null 2>&1 &
seed_pid=$!; pids+=("$seed_pid")
sleep 1
probe "$seed_pid" "dm-seed"
kill "$seed_pid" 2>/dev/null
# dm-secrets: an exec credential plugin that reads its parent's /proc while dm-secrets waits
cat >"$T/plugin" <<EOF
#!/bin/sh
grep 'Max core file size' /proc/\$PPID/limits >"$T/core-limit"
stat -c %u /proc/\$PPID/status >"$T/core-owner"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$DM_TEST_K8S_ADMIN_TOKEN"
EOF
chmod 755 "$T/plugin"
awk '/^users:/ { exit } { print }' "$DM_TEST_KUBECONFIG_TOKEN" >"$T/kc-exec"
printf 'users:\n- name: dm-test-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s\n' "$T/plugin" >>"$T/kc-exec"
chmod 644 "$T/kc-exec"; chmod 777 "$T"
RUN_PREFIX=("${nobody[@]}" prlimit --core=unlimited:unlimited)
run secrets-exec -s dm-secrets --kubeconfig "$T/kc-exec" --secret minio -n "$ns" --key rootUser
RUN_PREFIX=()
rc_is secrets-exec 0
grep -Eq 'Max core file size +0 +0' "$T/core-limit" 2>/dev/null && ok "dm-secrets: RLIMIT_CORE 0 while running" ||
  fail "dm-secrets: core limit '$(cat "$T/core-limit" 2>/dev/null)'"
if [ "${#nobody[@]}" -gt 0 ]; then
  [ "$(cat "$T/core-owner" 2>/dev/null)" = 0 ] && ok "dm-secrets: not dumpable (/proc/PID/status owned by root, process runs as 65534)" ||
    fail "dm-secrets: dumpable (/proc/PID/status owned by $(cat "$T/core-owner" 2>/dev/null))"
fi

echo "figures: $runs runs, $n_files outputs swept, ${#secrets[@]} secrets searched, $fails failed"
[ "$fails" = 0 ]

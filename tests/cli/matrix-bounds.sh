#!/usr/bin/env bash
# The bad-input matrix, bounds (IDs B..): every reply and every file that dm reads has a size
# cap and every reply a time limit (docs/hardening.md, "Bounds"), -j is fitted to the open-file
# limit, a scheme's default port is signed as libcurl sends it, and dot segments of a prefix
# reach the server as they are.  See matrix-lib.sh for what each case checks.
#
# Servers: dm-seed runs against the real RGW of the fixture "s3", except for the replies that no
# real server sends: a listing dripped at 2 bytes/s and an endless listing come from
# tests/cli/hostile-s3.py (scenarios drip and endless), which also stands in for the Kubernetes
# API server in the dm-secrets drip case: the real API server of the test bed cannot be made to
# drip.
# The http://127.0.0.1:80 case puts tests/cli/fault-proxy.py on port 80 in front of the RGW
# (it passes the Host header through): it needs root, and fails when it cannot bind port 80
# unless another program holds the port (then it says which, and that case is not run).
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3/env"
mx_placeholder "$DM_TEST_S3_ENDPOINT" "<s3>"
hostport=${DM_TEST_S3_ENDPOINT#http://}
export MC_HOST_mx=$MC_HOST_dmtest
run_id=$$-$RANDOM
pids=()
mx_cleanups+=('for p in "${pids[@]}"; do kill "$p"; done')

# shellcheck source=s3-client.sh
. "$DM_SOURCE_DIR/tests/cli/s3-client.sh"   # s3curl, keys_in
# guard SECONDS CMD...: runs CMD (which must exec the tool: env, bash -c 'exec'), killing it after
# SECONDS (exit 124) or once it holds more than 1 GiB (exit 137), so that a build without the
# bounds fails the case instead of hanging or filling the machine; writes the tool's peak resident
# memory (KiB) to $T/rss.
guard() {
  python3 - "$T/rss" "$@" <<'PY'
import resource, subprocess, sys, time
out, seconds, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
p = subprocess.Popen(cmd)
end, peak, rc = time.monotonic() + seconds, 0, None
while rc is None:
    try:
        with open(f"/proc/{p.pid}/status") as f:
            rss = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
    except OSError:
        rss = 0
    peak = max(peak, rss)
    if rss > 1 << 20 or time.monotonic() > end:
        p.kill()
        p.wait()
        rc = 137 if rss > 1 << 20 else 124
        sys.stderr.write(f"guard: killed after {seconds:.0f} s or at {rss >> 10} MiB\n")
        break
    time.sleep(0.02)
    rc = p.poll()
peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
open(out, "w").write(str(peak))
sys.exit(rc if rc >= 0 else 128 - rc)
PY
}

# hostile_server SCENARIO PORTFILE: tests/cli/hostile-s3.py SCENARIO ("drip": the listing sent at 2
# bytes a second, "endless": a listing that never ends; every other GET alike) on a free port,
# alive for 400 s (the drip cases take about 140 s)
hostile_server() {
  python3 "$DM_SOURCE_DIR/tests/cli/hostile-s3.py" "$1" "$2" "$T/hostile-$1.log" 400 2>"$T/hostile-$1.err" &
  pids+=("$!")
  local _
  for _ in $(seq 100); do [ -s "$2" ] && break; sleep 0.05; done
  [ -s "$2" ] || { echo "FAIL: hostile-s3.py $1 did not start: $(cat "$T/hostile-$1.err")"; exit 1; }
}

# --- replies: drip and endless ------------------------------------------------------------------
hostile_server drip "$T/drip.port"
drip=http://127.0.0.1:$(cat "$T/drip.port")
mx_placeholder "$drip" "<drip>"
export MC_HOST_drip="http://AKIAMX:mx-drip-secret-0001@127.0.0.1:$(cat "$T/drip.port")"
mkdir -p "$T/src"; echo one >"$T/src/one.txt"
# without the bound, the case hangs: the timeout keeps a broken build from hanging the suite
MX_RUN=(guard 150)
t0=$(date +%s)
mx B01 dm-seed 1 "listing dripped at 2 bytes/s" \
  "dm-seed: error: reply from <drip>/bkt?encoding-type=url&list-type=2&max-keys=1000 stalled: under 1 KiB/s for 30 s (after 1 retries)" \
  -- --no-progress "$T/src" drip/bkt
took=$(($(date +%s) - t0))
check [ "$took" -le 100 ] "B01: failed after ${took} s (two tries of 30 s and a backoff; bound 100 s)"

# the same drip from a stand-in for the Kubernetes API server
cat >"$T/kc-drip" <<EOF
apiVersion: v1
current-context: c
contexts:
- name: c
  context: {cluster: a, user: u}
clusters:
- name: a
  cluster: {server: "$drip"}
users:
- name: u
  user: {token: mx-token-drip-0002}
EOF
# (the Kubernetes client has the same HTTP bounds as the S3 client, whose 30 s default B01 shows:
# here the test knob sets the stall limit to 5 s, a minute less of waiting in each build)
t0=$(date +%s)
MX_RUN=(guard 60 env DM_TEST_HTTP_LIMITS=stall=5s)
mx B02 dm-secrets 1 "API server reply dripped at 2 bytes/s (test knob: stall=5s)" \
  "dm-secrets: error: reply from <drip>/api/v1/namespaces/default/secrets/s stalled: under 1 KiB/s for 5 s" \
  -- --kubeconfig "$T/kc-drip" --secret s -n default
took=$(($(date +%s) - t0))
MX_RUN=()
check [ "$took" -le 30 ] "B02: failed after ${took} s (two tries of 5 s; bound 30 s)"
check not grep -q mx-token-drip-0002 "$T/err" "B02: the token is not shown"

hostile_server endless "$T/endless.port"
endless=http://127.0.0.1:$(cat "$T/endless.port")
mx_placeholder "$endless" "<endless>"
export MC_HOST_endless="http://AKIAMX:mx-endless-secret-0003@127.0.0.1:$(cat "$T/endless.port")"
MX_RUN=(guard 60)
mx B03 dm-seed 1 "endless listing" \
  "dm-seed: error: reply from <endless>/bkt?encoding-type=url&list-type=2&max-keys=1000 exceeded 64 MiB" \
  -- --no-progress "$T/src" endless/bkt
MX_RUN=()
rss=$(cat "$T/rss" 2>/dev/null || echo 0)
check test "$rss" -gt 0 -a "$rss" -le $((320 * 1024)) "B03: peak memory $((rss / 1024)) MiB (a 64 MiB reply; bound 320 MiB)"

# the test knob: the total time of a small request (a drip at 2 bytes/s is also a stall: the
# knob sets the stall limit beyond the total one)
MX_RUN=(guard 60 env DM_TEST_HTTP_LIMITS=stall=60s,total=3s)
mx B04 dm-seed 1 "listing over the total time limit (test knob: total=3s)" \
  "dm-seed: error: reply from <drip>/bkt?encoding-type=url&list-type=2&max-keys=1000 took longer than 3 s (after 1 retries)" \
  -- --no-progress "$T/src" drip/bkt
MX_RUN=()

# --- files: every file dm reads is capped -------------------------------------------------------
truncate -s 17M "$T/home/aliases.yaml"
mx B10 dm-seed 1 "alias file of 17 MiB" "dm-seed: error: cannot read '<tmp>/home/aliases.yaml': larger than 16 MiB" \
  -- --no-progress "$T/src" nosuch/bkt
rm "$T/home/aliases.yaml"; ln -s /dev/zero "$T/home/aliases.yaml"
MX_RUN=(guard 60)
mx B11 dm-seed 1 "alias file linked to /dev/zero" "dm-seed: error: cannot read '<tmp>/home/aliases.yaml': larger than 16 MiB" \
  -- --no-progress "$T/src" nosuch/bkt
MX_RUN=()
rm "$T/home/aliases.yaml"
mkdir -p "$T/home/mc"; truncate -s 17M "$T/home/mc/config.json"
mx B12 dm-seed 1 "mc config.json of 17 MiB" "dm-seed: error: cannot read '<tmp>/home/mc/config.json': larger than 16 MiB" \
  -- --no-progress "$T/src" nosuch/bkt
rm "$T/home/mc/config.json"
truncate -s 17M "$T/kc-big"
mx B13 dm-secrets 1 "kubeconfig of 17 MiB" "dm-secrets: error: cannot read '<tmp>/kc-big': larger than 16 MiB" \
  -- --kubeconfig "$T/kc-big" --secret s -n default
sed 's/token: mx-token-drip-0002/tokenFile: '"${T//\//\\/}"'\/token/' "$T/kc-drip" >"$T/kc-tokenfile"
ln -s /dev/zero "$T/token"
MX_RUN=(guard 60)
mx B14 dm-secrets 3 "kubeconfig tokenFile linked to /dev/zero" \
  "dm-secrets: error: <tmp>/kc-tokenfile:11:21: cannot read the tokenFile of user 'u': cannot read '<tmp>/token': larger than 16 MiB" \
  yaml -- --kubeconfig "$T/kc-tokenfile" --secret s -n default
MX_RUN=()
mkdir -p "$T/plat/flavours"
truncate -s 17M "$T/plat/flavours/big.yaml"
mx B15 dm-helm 1 "flavour of 17 MiB" "dm-helm: error: cannot read '<tmp>/plat/flavours/big.yaml': larger than 16 MiB" \
  -- -f "$T/plat/flavours/big.yaml" plan

FK=$DM_BUILD_DIR/fakes/nvidia/current
R=$T/gpu-root
mkdir -p "$R/dev" "$R/usr/bin" "$R/proc/driver/nvidia"
for n in nvidiactl nvidia-uvm nvidia0 nvidia1 nvidia2 nvidia3 nvidia4 nvidia5 nvidia6 nvidia7; do : >"$R/dev/$n"; done
printf '#!/bin/sh\n' >"$R/usr/bin/nvidia-ctk"; chmod +x "$R/usr/bin/nvidia-ctk"
ln -s /dev/zero "$R/proc/driver/nvidia/version"
MX_RUN=(guard 60 env DM_FAKE_NVIDIA_SCENARIO=h100x8 DM_NVML_LIBRARY="$FK/libnvidia-ml.so.1" DM_CUDA_LIBRARY="$FK/libcuda.so.1")
mx B16 dm-gpu 1 "--root: driver version file linked to /dev/zero" \
  "dm-gpu: error: [unreadable-fact] cannot read '<tmp>/gpu-root/proc/driver/nvidia/version': larger than 16 MiB: the driver's facts cannot be trusted; check what the file is (ls -l)" \
  report -- check --root "$R"
MX_RUN=()
rss=$(cat "$T/rss" 2>/dev/null || echo 0)
check test "$rss" -gt 0 -a "$rss" -le $((192 * 1024)) "B16: peak memory $((rss / 1024)) MiB (bound 192 MiB)"

# --- -j fitted to the open-file limit -----------------------------------------------------------
mkdir -p "$T/many"
for d in $(seq -w 0 9); do
  mkdir -p "$T/many/d$d"
  for f in $(seq -w 0 99); do echo "$d/$f" >"$T/many/d$d/f$f.txt"; done
done
b=mx-fd-$run_id
mx_placeholder "$b" "<bucket>"
MX_RUN=(bash -c 'ulimit -n 256 && exec "$@"' _)
mx B20 dm-seed 0 "-j 1024 under ulimit -n 256 (soft and hard)" \
  "dm-seed: warning: --jobs 1024 lowered to 64: the open-file limit is 256" \
  warning -- --no-progress -j 1024 "$T/many" "mx/$b"
MX_RUN=()
check [ "$(grep -c 'warning: --jobs' "$T/err")" = 1 ] "B20: the warning is said once"
check grep -q '^dm-seed: 1000 uploaded, 0 skipped, 0 failed' "$T/err" "B20: 1000 uploaded, none failed"
check [ "$(keys_in "$b" | wc -l)" = 1000 ] "B20: all 1000 files landed (AWS CLI)"
check [ "$(s3curl "/$b/d7/f42.txt")" = "7/42" ] "B20: d7/f42.txt holds its bytes (curl)"

# the soft limit alone is low: it is raised to what 1024 jobs need, silently
b=mx-fdsoft-$run_id
rc=0
bash -c 'ulimit -Sn 256 && exec "$@"' _ "$DM_BIN/dm-seed" --no-progress -q -j 1024 "$T/many" "mx/$b" >"$T/out" 2>"$T/err" || rc=$?
check [ "$rc" = 0 ] "B21: -j 1024 under a soft limit of 256 (hard $(ulimit -Hn)): exit $rc"
check [ ! -s "$T/err" ] "B21: nothing on stderr (the soft limit was raised)"
check [ "$(keys_in "$b" | wc -l)" = 1000 ] "B21: all 1000 files landed (AWS CLI)"

# --- http://127.0.0.1:80: the signed Host is the one curl sends (no ":80") -----------------------
b=mx-port80-$run_id
mkfifo "$T/p80.in"
exec {p80fd}<>"$T/p80.in"
FAULT_PROXY_PORT=80 python3 "$DM_SOURCE_DIR/tests/cli/fault-proxy.py" "$hostport" "$T/p80.port" <"$T/p80.in" 2>"$T/p80.log" &
pids+=("$!")
for _ in $(seq 100); do [ -s "$T/p80.port" ] || ! kill -0 "${pids[-1]}" 2>/dev/null && break; sleep 0.05; done
if [ -s "$T/p80.port" ]; then
  rc=0
  MC_HOST_p80="http://$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY@127.0.0.1:80" \
    "$DM_BIN/dm-seed" --no-progress -q "$T/src" "p80/$b" >"$T/out" 2>"$T/err" || rc=$?
  check [ "$rc" = 0 ] "B30: dm-seed to http://127.0.0.1:80 (a proxy to the RGW): exit $rc $(head -c 300 "$T/err")"
  check [ "$(s3curl "/$b/one.txt")" = one ] "B30: one.txt landed (curl)"
  check grep -q "^PUT /$b/one.txt .*-> forward" "$T/p80.log" "B30: it went through port 80"
elif grep -q 'Address already in use' "$T/p80.log"; then
  echo "B30 not run: port 80 is taken: $(ss -ltnpH 'sport = :80' 2>/dev/null | head -n 1)"
else
  fail "B30: cannot listen on 127.0.0.1:80 (run as root): $(tail -n 1 "$T/p80.log")"
fi
exec {p80fd}>&-

# --- dot segments in a prefix: sent as they are, S3 keys like any other -------------------------
b=mx-dots-$run_id
rc=0
"$DM_BIN/dm-seed" --no-progress -q "$T/src" "mx/$b/a/./b/.." >"$T/out" 2>"$T/err" || rc=$?
check [ "$rc" = 0 ] "B31: prefix a/./b/..: exit $rc $(head -c 300 "$T/err")"
check [ "$(keys_in "$b")" = "a/./b/../one.txt" ] "B31: the key is a/./b/../one.txt, as asked (AWS CLI)"
check [ "$(s3curl "/$b/a/./b/../one.txt" --path-as-is)" = one ] "B31: its bytes (curl --path-as-is)"
rc=0
"$DM_BIN/dm-seed" --no-progress -q "$T/src" "mx/$b/a/./b/.." >"$T/out" 2>"$T/err" || rc=$?
check [ "$rc" = 0 ] "B31: the rerun: exit $rc"

mx_finish B

#!/usr/bin/env bash
# Benchmark dm-seed against rclone, s3cmd and the AWS CLI on the project's S3
# server (Ceph RGW from tests/servers), same server, same run, interleaved.
#
# Usage: bench/seed-bench.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# Every round boots a fresh server per workload and runs every tool once on it,
# each into its own bucket and a prefix named after the round, in an order that
# rotates from round to round.  Per run it records wall seconds, client CPU
# seconds (user+sys, wait4's rusage), server CPU seconds (utime+stime of
# ceph-mon, ceph-osd and radosgw from /proc/PID/stat), peak RSS and the bytes the
# client read; afterwards it checks the bucket holds every file (count and bytes).
# It prints a table per workload (medians, ratio dm-seed / tool), writes
# bench/results/RESULTS-<date>.md with a PNG bar chart next to it, and, for a
# full run, copies the result to bench/RESULTS.md.
#
# Environment:
#   ROUNDS=3             rounds
#   BIG_ROUNDS=N         rounds of the 512 MiB workload (default: ROUNDS, or the number of
#                        tools where that is more, so that every tool runs once in every
#                        place of the order; its wall times spread the most)
#   QUICK=1              small workloads, for trying the benchmark out
#   TOOLS="..."          tools (default "dm dm-j<DM_JOBS_BEST> rclone rclone-tuned s3cmd aws");
#                        dm-jN is dm-seed -j N; aws-tuned uses max_concurrent_requests=32
#   WORKLOADS="..."      of small2k small20k big data rerun rerun200k (default: all but
#                        rerun200k); rerun: each tool uploads the 2,000-file tree in its own
#                        sync or copy mode (untimed), then the same command again, timed,
#                        with nothing to do
#   RERUN_200K=1         add rerun200k, the rerun of a 200,000-file tree, for every tool (off
#                        by default: each peer first uploads 200,000 files, up to an hour
#                        here); without it, dm-seed's rerun of the 200,000-file RSS tree
#                        (below) is its only 200,000-file rerun figure
#   RSS_TREE=0           skip the 200,000-file run that measures dm-seed's peak RSS (and its
#                        rerun)
#   DM_REF=PATH          also run this dm-seed binary (tool dm-ref, same options as dm),
#                        e.g. one built from the commit before a change: before and after
#                        in the same run, on the same servers
#   BENCH_INSTALL=0      do not install missing peers or the server's packages; a peer
#                        that is not installed is left out (and named in the report)
#   DM_JOBS_BEST=N       -j of the second dm-seed variant (default 32, the best of
#                        8/16/32/64 here: TOOLS="dm-j8 dm-j16 dm-j32 dm-j64" finds it)
#   S3CMD_20K_ROUNDS=1   rounds in which s3cmd (serial, ~90 s) runs the 20,000-file
#                        workload; it is in no target, so once keeps the run short
#   RCLONE_TUNED_FLAGS   flags of rclone-tuned (default "--transfers 32 --checkers 32
#                        --s3-upload-concurrency 16 --s3-chunk-size 8M")
#   BENCH_MEMSTORE_BYTES RAM the server's OSD may fill with object data (default 3 GiB)
#   BENCH_KEEP=1         keep the temporary folder (workloads, logs, raw results)
#   PUBLISH=0|1          copy the result to bench/RESULTS.md (default: 1 for a full run),
#                        keeping its notes by hand: the line NOTES_MARK and all below it
set -euo pipefail

NOTES_MARK='<!-- notes by hand: seed-bench.sh keeps this line and all below it -->'

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
prog=seed-bench
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "${1:-}" in -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;; esac
[ $# -le 1 ] || die "usage: bench/seed-bench.sh [BUILD_DIR]"
build=${1:-build}
[ -d "$build" ] || build=$root/$build
dm_built=$build/bin/dm-seed
[ -x "$dm_built" ] || die "no dm-seed in $build/bin; build first: cmake -S . -B build && cmake --build build -j2"

ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-0}
DM_JOBS_BEST=${DM_JOBS_BEST:-32}
S3CMD_20K_ROUNDS=${S3CMD_20K_ROUNDS:-1}
RCLONE_TUNED_FLAGS=${RCLONE_TUNED_FLAGS:---transfers 32 --checkers 32 --s3-upload-concurrency 16 --s3-chunk-size 8M}
memstore=${BENCH_MEMSTORE_BYTES:-3221225472}
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS='$ROUNDS' is not a positive number" ;; esac
case "${BIG_ROUNDS:-1}" in ''|*[!0-9]*|0) die "BIG_ROUNDS='$BIG_ROUNDS' is not a positive number" ;; esac
case "$DM_JOBS_BEST" in ''|*[!0-9]*|0) die "DM_JOBS_BEST='$DM_JOBS_BEST' is not a positive number" ;; esac

full=1
[ "$QUICK" = 1 ] && full=0
[ -n "${TOOLS:-}" ] && full=0
[ -n "${WORKLOADS:-}" ] && full=0
[ "${RSS_TREE:-1}" = 1 ] || full=0
PUBLISH=${PUBLISH:-$full}

# peers and helpers (gnuplot draws the PNG chart; without it report.py draws an SVG)
if [ "${BENCH_INSTALL:-1}" = 1 ]; then
  bash "$root/scripts/install-bench-deps.sh"
  bash "$root/scripts/install-deps.sh" s3
fi
need=(python3 curl radosgw-admin)
for c in "${need[@]}"; do command -v "$c" >/dev/null || die "'$c' not found (scripts/install-deps.sh s3)"; done
peer_cmd() { case "$1" in rclone*) echo rclone ;; s3cmd) echo s3cmd ;; aws*) echo aws ;; *) echo "" ;; esac; }

dm_default_jobs=$("$dm_built" --help | sed -n 's/.*requests in flight (default \([0-9]*\)[;)].*/\1/p' | head -n1)
[ -n "$dm_default_jobs" ] || dm_default_jobs='?'
if [ -n "${TOOLS:-}" ]; then
  read -r -a tools <<<"$TOOLS"
else
  tools=(dm)
  [ "$DM_JOBS_BEST" = "$dm_default_jobs" ] || tools+=("dm-j$DM_JOBS_BEST")
  [ -n "${DM_REF:-}" ] && tools+=(dm-ref)
  tools+=(rclone rclone-tuned s3cmd aws)
fi
if [ -n "${WORKLOADS:-}" ]; then
  read -r -a workloads <<<"$WORKLOADS"
else
  workloads=(small2k small20k big data rerun)
  [ "${RERUN_200K:-0}" = 1 ] && workloads+=(rerun200k)
fi
missing_peers=()
kept=()
for t in "${tools[@]}"; do
  case "$t" in dm|dm-ref|dm-j[1-9]*|rclone|rclone-tuned|s3cmd|aws|aws-tuned) ;; *) die "unknown tool '$t'" ;; esac
  c=$(peer_cmd "$t")
  if [ -n "$c" ] && ! command -v "$c" >/dev/null; then
    [ -n "${TOOLS:-}" ] && die "'$c' is not installed (TOOLS names $t)"
    say "'$c' is not installed: $t is left out"
    missing_peers+=("$t")
    continue
  fi
  kept+=("$t")
done
tools=("${kept[@]}")
for w in "${workloads[@]}"; do
  case "$w" in small2k|small20k|big|data|rerun|rerun200k) ;; *) die "unknown workload '$w'" ;; esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dm-seed-bench.XXXXXX")
s3dir=$tmp/s3
cleanup() {
  local rc=$?
  [ -f "$s3dir/.dm-s3-server" ] && "$root/tests/servers/s3-down.sh" "$s3dir" >/dev/null 2>&1 || true
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the binary under test is copied, so a rebuild during the run changes nothing
mkdir -p "$tmp/bin" "$tmp/logs" "$tmp/w"
cp "$dm_built" "$tmp/bin/dm-seed"
DM=$tmp/bin/dm-seed
if [ -n "${DM_REF:-}" ]; then
  [ -x "$DM_REF" ] || die "DM_REF=$DM_REF is not an executable"
  cp "$DM_REF" "$tmp/bin/dm-seed-ref"
fi
results=$tmp/results.jsonl
: >"$results"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
uptime_start=$(uptime)
t_start=$SECONDS

# ---- workloads -------------------------------------------------------------
declare -A wdir wfiles wbytes
gen() { # NAME FILES SIZE LAYOUT
  local n f b
  read -r f b < <(python3 "$here/lib/gen.py" "$tmp/w/$1" "$2" "$3" "$4")
  wdir[$1]=$tmp/w/$1 wfiles[$1]=$f wbytes[$1]=$b
}
if [ "$QUICK" = 1 ]; then
  n2k=200 n20k=2000 bigsize=$((64 << 20)) ntree=20000
else
  n2k=2000 n20k=20000 bigsize=$((512 << 20)) ntree=200000
fi
say "generating workloads in $tmp/w"
for w in "${workloads[@]}"; do
  case "$w" in
    small2k)  gen small2k "$n2k" 4096 nested ;;
    rerun)    gen rerun "$n2k" 4096 nested ;;
    rerun200k) gen rerun200k "$ntree" 4096 tree ;;
    small20k) gen small20k "$n20k" 4096 flat ;;
    big)      gen big 1 "$bigsize" flat ;;
    data)
      [ -d "$root/data" ] || die "no data/ folder in $root"
      cp -r "$root/data" "$tmp/w/data"
      wdir[data]=$tmp/w/data
      wfiles[data]=$(find "$tmp/w/data" -type f | wc -l)
      wbytes[data]=$(find "$tmp/w/data" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
      ;;
  esac
done
if [ "${RSS_TREE:-1}" = 1 ]; then
  if [ -n "${wdir[rerun200k]:-}" ]; then
    wdir[tree]=${wdir[rerun200k]} wfiles[tree]=${wfiles[rerun200k]} wbytes[tree]=${wbytes[rerun200k]}
  else
    gen tree "$ntree" 4096 tree
  fi
  # the RSS comparison needs dm-seed's own figure at the small tree
  case " ${workloads[*]} " in *" small2k "*) ;; *) gen small2k "$n2k" 4096 nested ;; esac
fi

# ---- the server ----------------------------------------------------------------
server_up() {
  DM_S3_MEMSTORE_BYTES=$memstore "$root/tests/servers/s3-up.sh" "$s3dir" 2>"$tmp/logs/s3-up.log" ||
    { cat "$tmp/logs/s3-up.log" >&2; die "the S3 server did not start"; }
  # shellcheck source=/dev/null
  . "$s3dir/env"
  server_pids="$(cat "$s3dir/run/mon.a.pid") $(cat "$s3dir/run/osd.0.pid") $(cat "$s3dir/run/client.rgw.pid")"
  local hostport=${DM_TEST_S3_ENDPOINT#http://}
  cat >"$tmp/rclone.conf" <<EOF
[bench]
type = s3
provider = Ceph
endpoint = $DM_TEST_S3_ENDPOINT
access_key_id = $DM_TEST_S3_ACCESS_KEY
secret_access_key = $DM_TEST_S3_SECRET_KEY
region = us-east-1
EOF
  cat >"$tmp/s3cfg" <<EOF
[default]
access_key = $DM_TEST_S3_ACCESS_KEY
secret_key = $DM_TEST_S3_SECRET_KEY
host_base = $hostport
host_bucket = $hostport
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
  cat >"$tmp/aws.conf" <<EOF
[default]
region = us-east-1
[profile tuned]
region = us-east-1
s3 =
  max_concurrent_requests = 32
EOF
}
# a fresh radosgw spends ~0.3 s on its first requests (caches of the user and
# the zone); a few untimed requests keep that off whoever runs first.  Two more
# first-time costs fell on the first tool of a round in the 512 MiB workload
# (0.15-0.3 s, measured by hand: first run 1.78-1.90 s, second 1.55 s): the
# first multipart upload makes radosgw create its pool for multipart metadata,
# and the OSD faults in fresh memory for the first bytes it stores.  So one
# small multipart upload (dm-seed, two 5 MiB parts) runs before every workload.
# Before the 512 MiB one a single PUT of the file (curl) was not enough: the
# first tool of each round still took 1.06-1.14 of its own median, with 10-25 %
# more server CPU (2026-12-03, 5 rounds), and the server's CPU for the same
# upload kept falling over its first uploads of the whole file (5.9, 5.6, 5.3,
# 4.9 s by hand).  So the file itself is uploaded once in parts (dm-seed's
# defaults), untimed, and purged again; after it the first and the later
# uploads took the same (3.85-3.92 s against 3.80-4.29 s, by hand).
warm_up() { # WORKLOAD
  make_bucket bench-warmup || die "cannot create a bucket on the fresh server"
  local i
  for i in 1 2 3 4 5 6 7 8; do s3curl -X PUT --data-binary "warm-up $i" "$DM_TEST_S3_ENDPOINT/bench-warmup/o$i" || true; done
  s3curl "$DM_TEST_S3_ENDPOINT/bench-warmup?list-type=2" || true
  mkdir -p "$tmp/warm"
  [ -f "$tmp/warm/mp.bin" ] || head -c $((10 << 20)) /dev/urandom >"$tmp/warm/mp.bin"
  "$DM" -q --no-progress --multipart-threshold 5MiB --part-size 5MiB "$tmp/warm" "dmtest/bench-warmup/mp" ||
    say "warning: the multipart warm-up failed"
  if [ "$1" = big ]; then
    "$DM" -q --no-progress "${wdir[big]}" "dmtest/bench-warmup/big" || say "warning: the 512 MiB warm-up failed"
    rgwadmin bucket rm --bucket bench-warmup --purge-objects --bypass-gc >/dev/null 2>&1 || true
  fi
}
server_down() { "$root/tests/servers/s3-down.sh" "$s3dir" >/dev/null 2>&1 || say "warning: s3-down reported an error"; }
rgwadmin() { timeout 120 radosgw-admin -c "$s3dir/ceph.conf" -n client.admin "$@"; }
# curl signing with SigV4 (radosgw wants the payload hash header with curl 7.88)
s3curl() {
  curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
make_bucket() { # an existing bucket of ours (409) is fine too
  local code
  code=$(s3curl -X PUT "$DM_TEST_S3_ENDPOINT/$1") || return 1
  case "$code" in 200|409) return 0 ;; *) say "CreateBucket $1: HTTP $code"; return 1 ;; esac
}
bucket_usage() { # BUCKET -> "OBJECTS BYTES"
  rgwadmin bucket stats --bucket "$1" 2>/dev/null | python3 -c '
import json, sys
u = json.load(sys.stdin).get("usage", {}).get("rgw.main", {})
print(u.get("num_objects", 0), u.get("size", 0))'
}

# the command line of TOOL uploading SRC to BUCKET/PREFIX; MODE sync: the tool's
# own mode for bringing a destination up to date (rerun workloads): dm-seed and
# rclone copy already skip what is there; s3cmd sync; aws s3 sync
tool_cmd() {
  local tool=$1 src=$2 bucket=$3 prefix=$4 mode=${5:-copy}
  local -a awsop=(cp --recursive)
  [ "$mode" = sync ] && awsop=(sync)
  case "$tool" in
    dm)       cmd=("$DM" -q --no-progress "$src" "dmtest/$bucket/$prefix") ;;
    dm-ref)   cmd=("$tmp/bin/dm-seed-ref" -q --no-progress "$src" "dmtest/$bucket/$prefix") ;;
    dm-j*)    cmd=("$DM" -j "${tool#dm-j}" -q --no-progress "$src" "dmtest/$bucket/$prefix") ;;
    rclone)   cmd=(env -u AWS_CA_BUNDLE rclone --config "$tmp/rclone.conf" copy "$src" "bench:$bucket/$prefix") ;;
    rclone-tuned)
      local -a extra
      read -r -a extra <<<"$RCLONE_TUNED_FLAGS"
      cmd=(env -u AWS_CA_BUNDLE rclone --config "$tmp/rclone.conf" "${extra[@]}" copy "$src" "bench:$bucket/$prefix") ;;
    s3cmd)    if [ "$mode" = sync ]; then
                cmd=(s3cmd -c "$tmp/s3cfg" --no-progress -q sync "$src/" "s3://$bucket/$prefix/")
              else
                cmd=(s3cmd -c "$tmp/s3cfg" --no-progress -q put --recursive "$src/" "s3://$bucket/$prefix/")
              fi ;;
    aws)      cmd=(env AWS_CONFIG_FILE="$tmp/aws.conf" AWS_SHARED_CREDENTIALS_FILE=/dev/null
                   AWS_ACCESS_KEY_ID="$DM_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$DM_TEST_S3_SECRET_KEY"
                   aws --endpoint-url "$DM_TEST_S3_ENDPOINT" s3 "${awsop[@]}" --quiet "$src" "s3://$bucket/$prefix/") ;;
    aws-tuned) cmd=(env AWS_CONFIG_FILE="$tmp/aws.conf" AWS_SHARED_CREDENTIALS_FILE=/dev/null
                   AWS_ACCESS_KEY_ID="$DM_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$DM_TEST_S3_SECRET_KEY"
                   aws --profile tuned --endpoint-url "$DM_TEST_S3_ENDPOINT" s3 "${awsop[@]}" --quiet "$src" "s3://$bucket/$prefix/") ;;
  esac
}

failures=0
run_one() { # WORKLOAD TOOL ROUND
  local w=$1 tool=$2 round=$3
  local bucket=bench-$w-$tool prefix=r$round
  local log=$tmp/logs/$w-$tool-r$round.log
  make_bucket "$bucket" || die "cannot create bucket $bucket"
  local mode=copy
  case "$w" in
    rerun*)
      # the tool's own first upload (untimed), so the timed run finds everything there
      mode=sync
      tool_cmd "$tool" "${wdir[$w]}" "$bucket" "$prefix" sync
      (unset AWS_PROFILE AWS_DEFAULT_PROFILE; "${cmd[@]}") >"$tmp/logs/$w-$tool-r$round.first.log" 2>&1 ||
        say "FAILED: the first upload of $w by $tool (round $round); see $tmp/logs/$w-$tool-r$round.first.log"
      ;;
  esac
  tool_cmd "$tool" "${wdir[$w]}" "$bucket" "$prefix" "$mode"
  local line
  line=$(unset AWS_PROFILE AWS_DEFAULT_PROFILE
         python3 "$here/lib/measure.py" --out "$results" --log "$log" --pids "$server_pids" \
           --meta kind=run --meta "workload=$w" --meta "tool=$tool" --meta "round=$round" \
           --meta "files=${wfiles[$w]}" --meta "bytes=${wbytes[$w]}" -- "${cmd[@]}")
  local got want="${wfiles[$w]} ${wbytes[$w]}" ok=true rc
  got=$(bucket_usage "$bucket") || got='? ?'
  rc=$(sed -n 's/.*"rc": \(-\{0,1\}[0-9]*\).*/\1/p' <<<"$line")
  if [ "$got" != "$want" ] || [ "$rc" != 0 ]; then
    ok=false
    failures=$((failures + 1))
    say "FAILED: $w $tool round $round: exit $rc, bucket holds '$got' (objects bytes), want '$want'; log $log:"
    tail -n 5 "$log" | sed 's/^/    /' >&2
  fi
  printf '{"kind": "check", "workload": "%s", "tool": "%s", "round": "%s", "ok": %s, "got": "%s", "want": "%s"}\n' \
    "$w" "$tool" "$round" "$ok" "$got" "$want" >>"$results"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("  %-9s %-13s r%s  wall %7.2fs  cpu %6.2fs  server %6.2fs  rss %6.1f MiB" % (r["workload"], r["tool"], r["round"], r["wall"], r["user"]+r["sys"], r["server"], r["rss_kb"]/1024))' "$line" >&2
}

# WORKLOAD's upload by TOOL in ROUND run again, timed, as workload AS (nothing to do)
run_one_again() { # WORKLOAD AS TOOL ROUND
  local w=$1 as=$2 tool=$3 round=$4
  local bucket=bench-$w-$tool prefix=r$round log=$tmp/logs/$as-$tool-r$round.log line
  tool_cmd "$tool" "${wdir[$w]}" "$bucket" "$prefix" sync
  line=$(unset AWS_PROFILE AWS_DEFAULT_PROFILE
         python3 "$here/lib/measure.py" --out "$results" --log "$log" --pids "$server_pids" \
           --meta kind=run --meta "workload=$as" --meta "tool=$tool" --meta "round=$round" \
           --meta "files=${wfiles[$w]}" --meta "bytes=${wbytes[$w]}" -- "${cmd[@]}")
  local got want="${wfiles[$w]} ${wbytes[$w]}" ok=true rc
  got=$(bucket_usage "$bucket") || got='? ?'
  rc=$(sed -n 's/.*"rc": \(-\{0,1\}[0-9]*\).*/\1/p' <<<"$line")
  if [ "$got" != "$want" ] || [ "$rc" != 0 ]; then
    ok=false
    failures=$((failures + 1))
    say "FAILED: $as $tool round $round: exit $rc, bucket holds '$got', want '$want'; log $log"
  fi
  printf '{"kind": "check", "workload": "%s", "tool": "%s", "round": "%s", "ok": %s, "got": "%s", "want": "%s"}\n' \
    "$as" "$tool" "$round" "$ok" "$got" "$want" >>"$results"
}

ntools=${#tools[@]}
BIG_ROUNDS=${BIG_ROUNDS:-$((ntools > ROUNDS ? ntools : ROUNDS))}
say "$ROUNDS round(s) ($BIG_ROUNDS of big); tools: ${tools[*]}; workloads: ${workloads[*]}$([ "$QUICK" = 1 ] && echo ' (QUICK)')"
last_round=$((BIG_ROUNDS > ROUNDS ? BIG_ROUNDS : ROUNDS))
for ((round = 1; round <= last_round; round++)); do
  # rotate the order so no tool always runs first (or last) on a fresh server
  order=()
  for ((i = 0; i < ntools; i++)); do order+=("${tools[$(((i + round - 1) % ntools))]}"); done
  for w in "${workloads[@]}"; do
    rounds_w=$ROUNDS
    [ "$w" = big ] && rounds_w=$BIG_ROUNDS
    [ "$round" -le "$rounds_w" ] || continue
    say "round $round/$rounds_w, $w (${wfiles[$w]} files, ${wbytes[$w]} bytes): ${order[*]}"
    server_up
    warm_up "$w" >/dev/null
    for tool in "${order[@]}"; do
      [ "$w" = small20k ] && [ "$tool" = s3cmd ] && [ "$round" -gt "$S3CMD_20K_ROUNDS" ] && continue
      run_one "$w" "$tool" "$round"
      # 512 MiB objects: make room before the next tool (the time is not counted)
      [ "$w" = big ] && { rgwadmin bucket rm --bucket "bench-$w-$tool" --purge-objects --bypass-gc >/dev/null 2>&1 || true; }
    done
    server_down
  done
done

if [ "${RSS_TREE:-1}" = 1 ]; then
  say "peak RSS: dm-seed on ${wfiles[small2k]} files, then on ${wfiles[tree]} files, same server"
  server_up
  warm_up small2k >/dev/null
  run_one small2k dm rss
  run_one tree dm rss
  # the same command again over the 200,000 objects: nothing to do
  if [ -z "${wdir[rerun200k]:-}" ] || [ "${RERUN_200K:-0}" != 1 ]; then
    wdir[rerun200k]=${wdir[tree]} wfiles[rerun200k]=${wfiles[tree]} wbytes[rerun200k]=${wbytes[tree]}
  fi
  run_one_again tree rerun200k dm rss
  server_down
fi

# ---- machine, versions, report ----------------------------------------------------
meta=$tmp/meta.txt
{
  echo "started=$started"
  echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "duration_s=$((SECONDS - t_start))"
  echo "rounds=$ROUNDS"
  echo "big_rounds=$BIG_ROUNDS"
  echo "quick=$QUICK"
  echo "nproc=$(nproc)"
  echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  echo "kernel=$(uname -sr)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "dm_default_jobs=$dm_default_jobs"
  echo "dm_jobs_best=$DM_JOBS_BEST"
  echo "rclone_tuned=$RCLONE_TUNED_FLAGS"
  echo "memstore=$memstore"
  [ -n "${DM_REF:-}" ] && echo "v_dm-ref=$("$tmp/bin/dm-seed-ref" --version 2>&1 | head -n1) (DM_REF, built $(date -u -r "$DM_REF" +%Y-%m-%dT%H:%M:%SZ))"
  echo "v_dm-seed=$("$DM" --version 2>&1 | head -n1) (built $(date -u -r "$dm_built" +%Y-%m-%dT%H:%M:%SZ), tree at git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "v_rclone=$(env -u AWS_CA_BUNDLE rclone version 2>/dev/null | head -n1 || true)"
  echo "v_s3cmd=$(s3cmd --version 2>/dev/null | head -n1 || true)"
  echo "v_aws=$(aws --version 2>&1 | head -n1)"
  echo "v_radosgw=$(radosgw --version 2>&1 | head -n1)"
  echo "v_gnuplot=$(gnuplot --version 2>/dev/null | head -n1 || true)"
  echo "v_python3=$(python3 --version 2>&1)"
  echo "v_curl=$(curl --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
  echo "load_start=$load_start"
  echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "uptime_start=$uptime_start"
  echo "uptime_end=$(uptime)"
  echo "missing_peers=${missing_peers[*]}"
  echo "rerun_200k_all=${RERUN_200K:-0}"
  echo "failures=$failures"
} >"$meta"

mkdir -p "$here/results"
stem=RESULTS-$(date -u +%Y-%m-%d-%H%M)
[ "$QUICK" = 1 ] && stem+=-quick
[ "$full" = 1 ] || [ "$QUICK" = 1 ] || stem+=-partial
cp "$results" "$here/results/$stem.jsonl"
cp "$meta" "$here/results/$stem.meta"   # report.py JSONL META DIR STEM redraws from these two
python3 "$here/lib/report.py" "$results" "$meta" "$here/results" "$stem"
if [ "$PUBLISH" = 1 ]; then
  # The generated tables replace the old ones; the notes written by hand (from the
  # line NOTES_MARK on) stay, so publishing a run never loses the analysis of earlier ones.
  {
    sed "s#](${stem}\.\(png\|svg\))#](results/${stem}.\1)#" "$here/results/$stem.md"
    if [ -f "$here/RESULTS.md" ]; then
      awk -v m="$NOTES_MARK" '$0 == m { keep = 1 } keep' "$here/RESULTS.md"
    fi
  } >"$here/RESULTS.md.new"
  mv "$here/RESULTS.md.new" "$here/RESULTS.md"
  say "wrote bench/RESULTS.md (from bench/results/$stem.md, the notes by hand kept)"
fi
say "done in $((SECONDS - t_start)) s; results: bench/results/$stem.md and its chart beside it"
[ "$failures" -eq 0 ] || { say "$failures run(s) failed (see above)"; exit 1; }

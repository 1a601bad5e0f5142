#!/usr/bin/env bash
# Secrets never reach dm-seed's output, at -v or -vv, whatever happens: success,
# wrong secret, unreachable endpoint, TLS failure, session token refused, retries
# through the fault proxy, malformed alias URLs, --json, --dry-run, --k8s-job.
# And dm-seed cannot dump core: RLIMIT_CORE 0 and not dumpable (checked on a
# running dm-seed, held by a delaying proxy, against unprotected controls).
. "$(dirname "$0")/hard-lib.sh"

secret=$DM_TEST_S3_SECRET_KEY
wrong="Wr0ngSecret$RANDOM$RANDOM$RANDOM"
token="SessionToken$RANDOM$RANDOM$RANDOM"
hostport=${DM_TEST_S3_ENDPOINT#http://}
tls_hostport=$(. "$DM_TEST_WORK/s3tls/env" && echo "${DM_TEST_S3_TLS_ENDPOINT#https://}")
src="$TMP/src"
mkdir -p "$src/d"
echo one >"$src/one.txt"
head -c 6000000 /dev/urandom >"$src/d/big.bin"
: >"$TMP/all"
runs=0

# seed_out LABEL ARGS...: runs dm-seed, appends its stdout and stderr to $TMP/all
seed_out() {
  local label=$1 rc=0
  shift
  "$SEED" --no-progress "$@" >"$TMP/o" 2>&1 || rc=$?
  { echo "=== $label (exit $rc)"; cat "$TMP/o"; } >>"$TMP/all"
  runs=$((runs + 1))
}

proxy_start flaky "$hostport" 'PUT::503:3' 'PUT:partNumber=1&:reset-after=1000:1' 'HEAD::truncate:1'
export MC_HOST_ok="http://$DM_TEST_S3_ACCESS_KEY:$secret@$hostport"
export MC_HOST_bad="http://$DM_TEST_S3_ACCESS_KEY:$wrong@$hostport"
export MC_HOST_dead="http://$DM_TEST_S3_ACCESS_KEY:$secret@127.0.0.1:9"
export MC_HOST_tls="https://$DM_TEST_S3_ACCESS_KEY:$secret@$tls_hostport"
export MC_HOST_flaky="http://$DM_TEST_S3_ACCESS_KEY:$secret@127.0.0.1:$PROXY_PORT"
mp=(--multipart-threshold 5MiB --part-size 5MiB)
for v in -v -vv; do
  b=$(new_bucket "sec${#v}")
  seed_out "success $v" "$v" "${mp[@]}" "$src" "ok/$b"
  seed_out "rerun $v --json" "$v" --json "${mp[@]}" "$src" "ok/$b"
  seed_out "dry run $v" "$v" --dry-run "$src" "ok/$b-dry"
  seed_out "wrong secret $v" "$v" "$src" "bad/$b-bad"
  seed_out "unreachable $v" "$v" --retries 1 --connect-timeout 2s "$src" "dead/$b"
  seed_out "tls untrusted $v" "$v" "$src" "tls/$b"
  seed_out "faults $v" "$v" "${mp[@]}" "$src" "flaky/$b-flaky"
  seed_out "k8s job $v" "$v" --k8s-job 2 --pvc data --flavour "$DM_SOURCE_DIR/flavours/default.yaml" "$src" "ok/$b"
  for url in "ftp://AK:$secret@$hostport" "http://AK:$secret@" "http://AK$secret@$hostport" \
             "http://AK:$secret@127.0.0.1:notaport" "http://AK:$secret@$hostport/path"; do
    MC_HOST_broken=$url seed_out "malformed alias URL $v" "$v" "$src" "broken/$b"
  done
done
# the session token goes in through the AWS_* variables of the alias 's3'
for v in -v -vv; do
  AWS_ACCESS_KEY_ID=$DM_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
    AWS_ENDPOINT_URL=$DM_TEST_S3_ENDPOINT seed_out "session token (env) $v" "$v" "$src" "s3/$(new_bucket tok)"
done
proxy_stop flaky

# the runs did what they should, so the grep below looked at real output
grep -q "=== success -v (exit 0)" "$TMP/all" || fail "the successful run failed: $(cat "$TMP/all")"
grep -q "authentication failed for alias 'bad'" "$TMP/all" || fail "no wrong-secret run"
grep -q "cannot connect to http://127.0.0.1:9" "$TMP/all" || fail "no unreachable run"
grep -q "certificate not trusted" "$TMP/all" || fail "no TLS failure"
grep -q "retrying" "$TMP/all" || fail "no retries logged at -vv"
for s in "$secret" "$wrong" "$token"; do
  if grep -qF -- "$s" "$TMP/all"; then
    grep -nF -- "$s" "$TMP/all" | sed "s/$s/<SECRET>/g" | head -5
    fail "a secret or token was printed"
  fi
done
lines=$(wc -l <"$TMP/all")
grep '^===' "$TMP/all" | sort | uniq -c | sed 's/^/  /'
pass "$runs runs at -v and -vv, $lines lines of output: no secret key, wrong key or session token in them"

# --- no core dumps ---
# hold a dm-seed in its first request: the proxy delays it
proxy_start hold "$hostport" 'HEAD::delay=4'
export MC_HOST_hold="http://$DM_TEST_S3_ACCESS_KEY:$secret@127.0.0.1:$PROXY_PORT"
# held CMD...: starts CMD in the background and waits until its first request is
# held by the proxy (dm-seed has set its limits long before); sets HELD
held() {
  local before _
  before=$(grep -c '^HEAD' "$TMP/hold.log" || true)
  "$@" >/dev/null 2>&1 &
  HELD=$!
  for _ in $(seq 100); do
    [ "$(grep -c '^HEAD' "$TMP/hold.log" || true)" -gt "$before" ] && return 0
    sleep 0.05
  done
  fail "the held run never reached the proxy"
}
# The two facts that decide whether the kernel may write a core, read from /proc, whatever
# core_pattern says (a file in the cwd, or a pipe to systemd-coredump/apport, which the core
# limit does not bind but the dumpable flag does): the core limit here, the dumpable flag below.
ulimit -c unlimited || fail "cannot raise the core limit for the test (ulimit -c unlimited)"
core_limit() { awk '/^Max core file size/ {print $5, $6}' "/proc/$1/limits"; }

# as root: the core limit it set itself (control: a process started the same way keeps "unlimited")
held "$SEED" --no-progress "$src" "hold/$(new_bucket core)"
limit=$(core_limit "$HELD")
sleep 5 &
ctl=$!
ctl_limit=$(core_limit "$ctl")
kill "$ctl" "$HELD" 2>/dev/null || true
wait "$ctl" "$HELD" 2>/dev/null || true
[ "$limit" = "0 0" ] || fail "a running dm-seed has core limits '$limit', want '0 0'"
[ "$ctl_limit" = "unlimited unlimited" ] || fail "control: core limits '$ctl_limit', want 'unlimited unlimited'"

# as an unprivileged user: not dumpable, so /proc/PID files belong to root (control: sleep)
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$TMP")
held "${nobody[@]}" "$SEED" --no-progress "$src" "hold/$(new_bucket core2)"
# setpriv execs dm-seed in the same process: wait until it has
for _ in $(seq 50); do grep -q dm-seed "/proc/$HELD/comm" && break; sleep 0.05; done
owner=$(stat -c %u "/proc/$HELD/environ")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$HELD/status")
limit=$(core_limit "$HELD")
[ "$uid" = 65534 ] || fail "the held dm-seed runs as uid $uid"
[ "$owner" = 0 ] || fail "dm-seed is dumpable: /proc/$HELD/environ belongs to uid $owner"
[ "$limit" = "0 0" ] || fail "dm-seed run as uid 65534 has core limits '$limit', want '0 0'"
"${nobody[@]}" sleep 5 &
ctl=$!
for _ in $(seq 50); do grep -q sleep "/proc/$ctl/comm" && break; sleep 0.05; done
ctl_owner=$(stat -c %u "/proc/$ctl/environ")
ctl_limit=$(core_limit "$ctl")
kill "$ctl" "$HELD" 2>/dev/null || true
wait "$ctl" "$HELD" 2>/dev/null || true
[ "$ctl_owner" = 65534 ] || fail "control: an unprotected process's /proc files belong to $ctl_owner"
[ "$ctl_limit" = "unlimited unlimited" ] || fail "control as uid 65534: core limits '$ctl_limit'"
proxy_stop hold
pass "no core dumps: core limit 0 0 as root and as uid 65534, not dumpable (controls: unlimited, dumpable)"
echo "figures: secrets runs=$runs lines=$lines leaks=0 core_limit=0 dumpable=0"

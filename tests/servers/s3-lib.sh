# shellcheck shell=bash
# Helpers shared by s3-up.sh, s3-down.sh, rgw-restart.sh and s3-pod.sh.  Sourced, never run.
# The caller sets S3_PROG (the name used in messages) and S3_DIR (the state folder).

# Every daemon is started by s3_start_daemon, which records its pid in
# $S3_DIR/run/<name>.pid; s3_stop_daemon only ever signals a pid whose command
# line still names this folder's ceph.conf, so a recycled pid is left alone.

s3_msg() { printf '%s: %s\n' "$S3_PROG" "$*" >&2; }

# s3_show_log FILE: point at a log and print its last lines.
s3_show_log() {
  local log=$1
  [ -n "$log" ] || return 0
  if [ -s "$log" ]; then
    # ceph ends a crash log with a long dump; lift the lines that say what went wrong
    local what='FAILED ceph_assert|Caught signal|[0-9a-f]{12} -1 |ERROR'
    if grep -qE "$what" "$log"; then
      s3_msg "in $log:"
      grep -E "$what" "$log" | tail -n 8 | sed 's/^/    /' >&2
    fi
    s3_msg "see $log; its last lines:"
    tail -n "${S3_LOG_LINES:-20}" "$log" | sed 's/^/    /' >&2
  else
    s3_msg "see $log (empty or missing)"
  fi
}

# s3_fail MESSAGE [LOG...]: report, show the logs, exit 1 (the EXIT trap cleans up).
s3_fail() {
  local msg=$1; shift
  s3_msg "error: $msg"
  local log
  for log in "$@"; do s3_show_log "$log"; done
  exit 1
}

# s3_free_ports N: N distinct ports on 127.0.0.1 that nothing listens on, picked at
# random below the kernel's ephemeral range so that two servers booting at once
# (and the outgoing connections of either) are unlikely to want the same one.
s3_free_ports() {
  python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
got = []
tries = 0
while len(got) < n:
    tries += 1
    if tries > 10000:
        sys.exit("no free ports found")
    p = random.randint(20000, 32000)
    if p in got:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
print(" ".join(map(str, got)))
EOF
}

# s3_port_free PORT: nothing listens on 127.0.0.1:PORT (it can be bound now).
s3_port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

# s3_running PID: the process exists and is not a zombie (an unreaped daemon
# that already exited shows up as one, and kill -0 still succeeds on it).
s3_running() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# s3_pid_of NAME: the recorded pid of a daemon if it is still ours and running.
s3_pid_of() {
  local pidfile=$S3_DIR/run/$1.pid pid cmd
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  s3_running "$pid" || return 1
  # a recycled pid whose command line lacks our config is not ours
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$S3_DIR/ceph.conf"*) ;; *) return 1 ;; esac
  printf '%s\n' "$pid"
}

# s3_start_daemon NAME LOG CMD...: run CMD in its own session, detached from our
# stdio (ctest waits for its pipes to close), and record its pid.
s3_start_daemon() {
  local name=$1 log=$2; shift 2
  mkdir -p "$S3_DIR/run" "$(dirname "$log")"
  # setsid in a background subshell is not a group leader, so it execs in place
  # and $! is the daemon's own pid.
  setsid "$@" </dev/null >>"$log" 2>&1 &
  printf '%s\n' "$!" >"$S3_DIR/run/$name.pid"
}

# s3_stop_daemon NAME [SECONDS]: TERM, then KILL after SECONDS (default 10).
s3_stop_daemon() {
  local name=$1 grace=${2:-10} pid i
  if pid=$(s3_pid_of "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      s3_running "$pid" || break
      sleep 0.1
    done
    if s3_running "$pid"; then
      s3_msg "$name (pid $pid) ignored TERM for ${grace}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        s3_running "$pid" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$S3_DIR/run/$name.pid"
}

# s3_http_code URL [CURL ARGS...]: the HTTP status a plain GET gets, 000 if none.
s3_http_code() {
  local url=$1; shift
  curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 5 "$@" "$url" 2>/dev/null || true
}

# s3_wait_rgw URL DEADLINE NAME LOG OUT [CURL ARGS...]: wait until radosgw answers HTTP.
s3_wait_rgw() {
  local url=$1 deadline=$2 name=$3 log=$4 out=$5 code; shift 5
  while :; do
    code=$(s3_http_code "$url" "$@")
    case "$code" in 2??|4??) return 0 ;; esac
    s3_pid_of "$name" >/dev/null || s3_fail "radosgw exited while starting" "$log" "$out"
    [ "$SECONDS" -lt "$deadline" ] ||
      s3_fail "radosgw did not answer on $url in time (last HTTP status $code)" "$log" "$out"
    sleep 0.2
  done
}

# s3_start_rgw DEADLINE: start radosgw from this folder's ceph.conf and wait until
# it answers on DM_TEST_S3_ENDPOINT (read from the caller's environment).
s3_start_rgw() {
  local deadline=$1 log=$S3_DIR/log/client.rgw.log
  s3_start_daemon client.rgw "$S3_DIR/log/client.rgw.out" \
    radosgw -f -c "$S3_DIR/ceph.conf" -n client.rgw
  s3_wait_rgw "$DM_TEST_S3_ENDPOINT/" "$deadline" client.rgw "$log" "$S3_DIR/log/client.rgw.out"
}

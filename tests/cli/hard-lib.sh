# Shared by the hardening tests (tests/cli/hard-*.sh): seed-lib.sh's server,
# AWS CLI and assertions, plus the fault proxy, the guarantees every fault
# test checks, and a tally the tests print for docs/hardening.md.
# shellcheck source=seed-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/seed-lib.sh"

# Proxies and servers a test starts are stopped by the EXIT trap (by pid only).
HARD_PIDS=()
HARD_SERVERS=()
hard_cleanup() {
  local pid dir
  for pid in "${HARD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for dir in "${HARD_SERVERS[@]}"; do bash "$DM_SOURCE_DIR/tests/servers/s3-down.sh" "$dir" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap hard_cleanup EXIT

# no CA choice of this machine's environment may decide a test
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE AWS_CA_BUNDLE REQUESTS_CA_BUNDLE

# proxy_start NAME UPSTREAM_HOST:PORT RULE...: a fault proxy (tests/cli/fault-proxy.py)
# in front of UPSTREAM; sets PROXY_PORT; its log (one line a request) is $TMP/NAME.log
proxy_start() {
  local name=$1 up=$2
  shift 2
  rm -f "$TMP/$name.port" "$TMP/$name.in"
  # the proxy stops when its stdin closes: hold a fifo open for it
  mkfifo "$TMP/$name.in"
  exec {PROXY_FD}<>"$TMP/$name.in"
  python3 "$HERE/fault-proxy.py" "$up" "$TMP/$name.port" "$@" <"$TMP/$name.in" 2>"$TMP/$name.log" &
  HARD_PIDS+=("$!")
  eval "PROXY_PID_$name=$!"
  local _
  for _ in $(seq 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
  [ -s "$TMP/$name.port" ] || fail "fault proxy $name did not start: $(cat "$TMP/$name.log")"
  PROXY_PORT=$(cat "$TMP/$name.port")
}

# proxy_stop NAME
proxy_stop() {
  local var="PROXY_PID_$1"
  kill "${!var}" 2>/dev/null || true
  wait "${!var}" 2>/dev/null || true
  exec {PROXY_FD}>&-
}

# proxy_tally NAME...: "kind=count ..." of the faults the proxies injected (forwarded requests left out)
proxy_tally() {
  local n
  for n in "$@"; do sed -n 's/.* -> //p' "$TMP/$n.log"; done | grep -v '^forward$' | sed 's/=.*//' | sort | uniq -c |
    awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1} END {print ""}'
}

# proxy_faults NAME: how many requests the proxy broke
proxy_faults() { sed -n 's/.* -> //p' "$TMP/$1.log" | grep -vc '^forward$' || true; }

# own_server DIR: boots a separate RGW in DIR (for tests that kill it), sources its env
own_server() {
  DM_S3_MEMSTORE_BYTES=${DM_S3_MEMSTORE_BYTES:-1073741824} \
    bash "$DM_SOURCE_DIR/tests/servers/s3-up.sh" "$1" >"$TMP/own-server.log" 2>&1 ||
    { cat "$TMP/own-server.log"; fail "cannot boot a separate S3 server in $1"; }
  HARD_SERVERS+=("$1")
  # shellcheck disable=SC1091
  . "$1/env"
}

# uploads_left BUCKET: multipart uploads still in progress in BUCKET (independent client)
uploads_left() {
  local xml
  xml=$(s3curl "/$1?uploads=" --fail) || fail "cannot list the multipart uploads of $1"
  { grep -o '<Upload>' <<<"$xml" || true; } | wc -l
}

# s3fetch BUCKET KEY FILE: downloads with curl; prints the HTTP status (200, 404 ...)
s3fetch() { s3curl "/$1/$2" -o "$3" -w '%{http_code}'; }

# exact_list SRC BUCKET PREFIX ERRFILE: after a run that exited 4, the failures it
# named must cover every file that did not land byte for byte (checked by
# downloading with the AWS CLI), and their number must match the summary.
# Prints "named N, missing M, named-but-landed K".
exact_list() {
  local src=$1 b=$2 p=$3 err=$4 dl="$TMP/exact.$RANDOM"
  mkdir -p "$dl"
  s3cli s3 cp --recursive --quiet "s3://$b/$p" "$dl" >/dev/null 2>&1 || true
  python3 - "$src" "$dl" "$err" <<'PY' || fail "the failures named do not cover what is missing: $(cat "$err")"
import os, re, sys
src, dl, err = sys.argv[1:4]
text = open(err, encoding="utf-8", errors="replace").read()
named = set()
for m in re.finditer(r"^dm-seed: error: '(.*?)': ", text, re.M):
    p = m.group(1)
    if p.startswith(src.rstrip("/") + "/"):
        named.add(os.path.relpath(p, src))
m = re.search(r"^dm-seed: error: (\d+) file\(s\) failed", text, re.M)
if not m:
    sys.exit("no '<N> file(s) failed' line")
if int(m.group(1)) != len(named):
    sys.exit(f"summary says {m.group(1)} failed, {len(named)} named")
missing = set()
for root, _, files in os.walk(src):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), src)
        there = os.path.join(dl, rel)
        with open(os.path.join(src, rel), "rb") as a:
            want = a.read()
        if not os.path.isfile(there) or open(there, "rb").read() != want:
            missing.add(rel)
silent = missing - named
if silent:
    sys.exit(f"not landed but not named: {sorted(silent)[:10]}")
print(f"named {len(named)}, missing {len(missing)}, named-but-landed {len(named - missing)}")
PY
  rm -rf "$dl"
}

# tree_bytes DIR: the bytes of every file below DIR
tree_bytes() { find -L "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# small_tree DIR N: N small files (1 byte to 16 KiB, seeded) in nested folders
small_tree() {
  python3 - "$1" "$2" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(n)
for i in range(n):
    d = os.path.join(root, f"d{i % 12:02d}", f"e{i % 5}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(1, 16384)))
PY
}

# big_file PATH MIB: a file of MIB MiB of random bytes
big_file() { head -c "$(($2 << 20))" /dev/urandom >"$1"; }

#!/usr/bin/env bash
# Boot a throw-away S3 server on 127.0.0.1: one ceph-mon, one memstore OSD and
# radosgw (beast), all state under DIR.  Writes DIR/env for tests to source.
#
# Usage: tests/servers/s3-up.sh DIR [--tls] [--port PORT] [--keys-from-env]
#   DIR              state folder: created if missing; reused only if an earlier s3-up made it
#   --tls            also serve https with a fresh test CA (DM_TEST_S3_TLS_ENDPOINT, DM_TEST_S3_CA)
#   --port PORT      radosgw's http port (default: a free one); fails if something listens there
#   --keys-from-env  the user's keys are DM_S3_ACCESS_KEY and DM_S3_SECRET_KEY (letters and
#                    digits), not new ones; they are then kept out of DIR/env, DIR/user.json and
#                    every command line
# Environment:
#   DM_S3_MEMSTORE_BYTES   data the OSD may hold in RAM (default 4 GiB)
#   DM_S3_BOOT_TIMEOUT     seconds the whole boot may take (default 60)
# Stop it with tests/servers/s3-down.sh DIR.  See tests/servers/README.md.
set -euo pipefail

S3_PROG=s3-up
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=s3-lib.sh
. "$here/s3-lib.sh"

usage() { echo "usage: s3-up.sh DIR [--tls] [--port PORT] [--keys-from-env]" >&2; exit 2; }
dir='' tls=0 port='' given_keys=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tls) tls=1 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift ;;
    --keys-from-env) given_keys=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "s3-up: unknown option '$1'" >&2; usage ;;
    *) [ -z "$dir" ] || usage; dir=$1 ;;
  esac
  shift
done
[ -n "$dir" ] || usage
case "$port" in
  '') ;;
  *[!0-9]*|0*) echo "s3-up: error: --port '$port' is not a port number" >&2; exit 2 ;;
  *) [ "$port" -le 65535 ] || { echo "s3-up: error: --port '$port' is not a port number" >&2; exit 2; } ;;
esac
if [ "$given_keys" = 1 ]; then
  # letters and digits only: they go into CEPH_ARGS, which ceph splits on white space
  [[ "${DM_S3_ACCESS_KEY:-}" =~ ^[A-Za-z0-9]{3,128}$ ]] ||
    { echo "s3-up: error: --keys-from-env: DM_S3_ACCESS_KEY is unset or not 3 to 128 letters and digits" >&2; exit 2; }
  [[ "${DM_S3_SECRET_KEY:-}" =~ ^[A-Za-z0-9]{8,128}$ ]] ||
    { echo "s3-up: error: --keys-from-env: DM_S3_SECRET_KEY is unset or not 8 to 128 letters and digits" >&2; exit 2; }
fi

need=(ceph ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool curl python3 setsid timeout)
[ "$tls" = 1 ] && need+=(openssl)
for c in "${need[@]}"; do
  command -v "$c" >/dev/null 2>&1 ||
    { echo "s3-up: error: '$c' not found; install the s3 set: scripts/install-deps.sh s3" >&2; exit 1; }
done

memstore_bytes=${DM_S3_MEMSTORE_BYTES:-4294967296}
case "$memstore_bytes" in ''|*[!0-9]*) echo "s3-up: error: DM_S3_MEMSTORE_BYTES='$memstore_bytes' is not a byte count" >&2; exit 2 ;; esac
boot_timeout=${DM_S3_BOOT_TIMEOUT:-60}
case "$boot_timeout" in ''|*[!0-9]*) echo "s3-up: error: DM_S3_BOOT_TIMEOUT='$boot_timeout' is not a number of seconds" >&2; exit 2 ;; esac

# Only ever wipe a folder that is empty or that an earlier s3-up made (it has the
# marker); anything else is someone's data.
mkdir -p "$dir"
S3_DIR=$(cd "$dir" && pwd)
if [ -n "$(ls -A "$S3_DIR")" ]; then
  [ -f "$S3_DIR/.dm-s3-server" ] ||
    { echo "s3-up: error: '$S3_DIR' is not empty and was not made by s3-up; refusing to wipe it" >&2; exit 1; }
  "$here/s3-down.sh" "$S3_DIR" >/dev/null
  find "$S3_DIR" -mindepth 1 -delete
fi
touch "$S3_DIR/.dm-s3-server"
mkdir -p "$S3_DIR/log" "$S3_DIR/run" "$S3_DIR/crash"

ok=0
cleanup() {
  [ "$ok" = 1 ] && return 0
  s3_msg "boot failed; stopping what was started (state kept in $S3_DIR)"
  "$here/s3-down.sh" "$S3_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_ns=$(date +%s%N)
deadline=$((SECONDS + boot_timeout))
conf=$S3_DIR/ceph.conf

# a ceph command line tool call that can neither hang nor go unnoticed
cephq() {
  local left=$((deadline - SECONDS))
  [ "$left" -gt 0 ] || left=1
  [ "$left" -le 20 ] || left=20
  timeout -k 2 "$left" ceph -c "$conf" --connect-timeout "$left" "$@"
}

read -r mon_port rgw_port ssl_port <<<"$(s3_free_ports 3)" || s3_fail "cannot pick free ports"
if [ -n "$port" ]; then
  # the caller's port must be free (s3_free_ports checks that too), and the other two not it
  s3_port_free "$port" || s3_fail "--port $port: something listens on 127.0.0.1:$port already"
  while [ "$mon_port" = "$port" ] || [ "$ssl_port" = "$port" ]; do
    read -r mon_port ssl_port <<<"$(s3_free_ports 2)" || s3_fail "cannot pick free ports"
  done
  rgw_port=$port
fi
fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')

# msgr2 only, "crc" everywhere: with auth "none" the default "secure" modes leave
# radosgw waiting for the monitor forever.
frontends="beast endpoint=127.0.0.1:$rgw_port"
if [ "$tls" = 1 ]; then
  frontends+=" ssl_endpoint=127.0.0.1:$ssl_port ssl_certificate=$S3_DIR/tls/server.crt ssl_private_key=$S3_DIR/tls/server.key"
fi
cat >"$conf" <<EOF
# written by s3-up.sh; all state of this test server lives beside this file
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms client mode = crc
ms cluster mode = crc
ms service mode = crc
keyring = $S3_DIR/keyring
admin socket = $S3_DIR/run/\$name.asok
run dir = $S3_DIR/run
crash dir = $S3_DIR/crash
log file = $S3_DIR/log/\$name.log
log to stderr = false
err to stderr = true
mon cluster log file = $S3_DIR/log/cluster.log
# boot in ~2 s instead of ~13 s
paxos propose interval = 0.05
# one OSD: pools of size 1, few placement groups, no autoscaler and no nagging
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 2
mon data avail crit = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[mon]
mon data = $S3_DIR/mon.\$id

[osd]
osd data = $S3_DIR/osd.\$id
osd objectstore = memstore
# the cap on the object data held in RAM
memstore device bytes = $memstore_bytes
osd op num shards = 2
osd op num threads per shard = 1

[client.rgw]
rgw frontends = $frontends
rgw thread pool size = 64
rgw enable usage log = false
# path-style buckets only
rgw dns name =
# deleted objects are freed at once rather than after two hours
rgw gc obj min wait = 0
rgw gc processor period = 5
rgw gc processor max time = 5
EOF

if [ "$tls" = 1 ]; then
  mkdir -p "$S3_DIR/tls"
  t=$S3_DIR/tls
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=dm test CA" \
      -keyout "$t/ca.key" -out "$t/ca.crt" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$t/server.key" -out "$t/server.csr" &&
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$t/server.ext" &&
    openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
      -days 30 -extfile "$t/server.ext" -out "$t/server.crt"
  } >"$S3_DIR/log/openssl.log" 2>&1 || s3_fail "cannot make the test certificates" "$S3_DIR/log/openssl.log"
fi

# monitor
setup_log=$S3_DIR/log/setup.log
{
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$S3_DIR/monmap" &&
  ceph-authtool --create-keyring "$S3_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' &&
  ceph-mon -c "$conf" --mkfs -i a --monmap "$S3_DIR/monmap" --keyring "$S3_DIR/keyring"
} >>"$setup_log" 2>&1 || s3_fail "cannot create the monitor" "$setup_log" "$S3_DIR/log/mon.a.log"
s3_start_daemon mon.a "$S3_DIR/log/mon.a.out" ceph-mon -f -c "$conf" -i a

until cephq mon stat >>"$setup_log" 2>&1; do
  s3_pid_of mon.a >/dev/null || s3_fail "ceph-mon exited while starting" "$S3_DIR/log/mon.a.log" "$S3_DIR/log/mon.a.out"
  [ "$SECONDS" -lt "$deadline" ] || s3_fail "ceph-mon did not form a quorum in time" "$S3_DIR/log/mon.a.log" "$setup_log"
  sleep 0.2
done

# one OSD keeping its objects in RAM
osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
osd_id=$(cephq osd new "$osd_uuid" 2>>"$setup_log") || s3_fail "cannot register the OSD" "$setup_log"
[ "$osd_id" = 0 ] || s3_fail "expected OSD id 0, got '$osd_id'" "$setup_log"
mkdir -p "$S3_DIR/osd.0"
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$setup_log" 2>&1 ||
  s3_fail "cannot create the OSD" "$S3_DIR/log/osd.0.log" "$setup_log"
s3_start_daemon osd.0 "$S3_DIR/log/osd.0.out" ceph-osd -f -c "$conf" -i 0

while :; do
  up=$(cephq osd stat -f json 2>>"$setup_log" |
       python3 -c 'import json,sys; print(json.load(sys.stdin).get("num_up_osds", 0))' 2>/dev/null || true)
  [ "$up" = 1 ] && break
  s3_pid_of osd.0 >/dev/null || s3_fail "ceph-osd exited while starting" "$S3_DIR/log/osd.0.log" "$S3_DIR/log/osd.0.out"
  [ "$SECONDS" -lt "$deadline" ] || s3_fail "the OSD did not come up in time" "$S3_DIR/log/osd.0.log" "$S3_DIR/log/mon.a.log"
  sleep 0.2
done

# radosgw: creates its pools on first start, then answers HTTP
export DM_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
s3_start_rgw "$deadline"
if [ "$tls" = 1 ]; then
  s3_wait_rgw "https://127.0.0.1:$ssl_port/" "$deadline" client.rgw "$S3_DIR/log/client.rgw.log" \
    "$S3_DIR/log/client.rgw.out" --cacert "$S3_DIR/tls/ca.crt"
fi

# the S3 user; keys made here (letters and digits only, so they fit in a URL), or the caller's
if [ "$given_keys" = 1 ]; then
  access_key=$DM_S3_ACCESS_KEY secret_key=$DM_S3_SECRET_KEY
  user_json=/dev/null
else
  read -r access_key secret_key <<<"$(python3 -c '
import secrets, string
u = string.ascii_uppercase + string.digits
a = u + string.ascii_lowercase
print("".join(secrets.choice(u) for _ in range(20)), "".join(secrets.choice(a) for _ in range(40)))')"
  user_json=$S3_DIR/user.json
fi
left=$((deadline - SECONDS)); [ "$left" -gt 0 ] || left=1
# the keys reach radosgw-admin through CEPH_ARGS (ceph appends it to the arguments), not its
# command line, which any user of the machine can read
CEPH_ARGS="--access-key $access_key --secret $secret_key" \
  timeout -k 2 "$left" radosgw-admin -c "$conf" -n client.admin user create --uid dmtest \
  --display-name "dm test user" >"$user_json" 2>>"$setup_log" ||
  s3_fail "radosgw-admin user create failed" "$setup_log"

rgw_pid=$(s3_pid_of client.rgw) || s3_fail "radosgw is gone" "$S3_DIR/log/client.rgw.log"
q() { printf '%q' "$1"; }
{
  echo "# written by s3-up.sh for the test S3 server in this folder; source it"
  echo "export DM_TEST_S3_ENDPOINT=$(q "$DM_TEST_S3_ENDPOINT")"
  if [ "$given_keys" = 0 ]; then
    echo "export DM_TEST_S3_ACCESS_KEY=$(q "$access_key")"
    echo "export DM_TEST_S3_SECRET_KEY=$(q "$secret_key")"
  fi
  echo "export DM_TEST_S3_REGION=us-east-1"
  [ "$given_keys" = 1 ] || echo "export MC_HOST_dmtest=$(q "http://$access_key:$secret_key@127.0.0.1:$rgw_port")"
  echo "export DM_TEST_S3_RGW_PID=$rgw_pid"
  echo "export DM_TEST_S3_RESTART=$(q "$(q "$here/rgw-restart.sh") $(q "$S3_DIR")")"
  echo "export DM_TEST_S3_DIR=$(q "$S3_DIR")"
  if [ "$tls" = 1 ]; then
    echo "export DM_TEST_S3_TLS_ENDPOINT=$(q "https://127.0.0.1:$ssl_port")"
    echo "export DM_TEST_S3_CA=$(q "$S3_DIR/tls/ca.crt")"
  fi
} >"$S3_DIR/env.tmp"
mv "$S3_DIR/env.tmp" "$S3_DIR/env"

ok=1
ms=$((($(date +%s%N) - start_ns) / 1000000))
s3_msg "S3 server up in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s: $DM_TEST_S3_ENDPOINT$([ "$tls" = 1 ] && echo " and https://127.0.0.1:$ssl_port") (source $S3_DIR/env; stop: tests/servers/s3-down.sh $S3_DIR)"

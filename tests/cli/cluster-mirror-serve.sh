#!/usr/bin/env bash
# dm-cluster running the registry mirror itself (registry_mirror as a mapping): start writes the
# registry's configuration (0600), starts docker-registry detached and waits for GET /v2/ before
# minikube start gets --registry-mirror/--insecure-registry (the fake minikube's argv log; its
# cluster is the test bed's API server, fixture "k8s"); a second start reuses the process; status
# shows it; stop leaves it; delete stops it and keeps the cache folder.  Failures: docker-registry
# missing, a registry that ends at start, a port another registry answers on, bad keys.
# No network: the upstream is a plain docker-registry on loopback, started here (the proxy asks
# its upstream's /v2/ once when it starts, so the upstream must answer).
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/cluster-lib.sh"
fake_minikube_on_bed
unset DM_DOCKER_REGISTRY XDG_STATE_HOME
REG=$(command -v docker-registry) || fail "docker-registry is not installed (scripts/install-deps.sh)"
ns=dms-$id

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# answers URL: GET URL/v2/ is 200
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1/v2/")" = 200 ]; }
# gone PID: the process ends within 5 s (a zombie waiting for its new parent to reap it counts as ended)
gone() {
  for _ in $(seq 50); do
    kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ] || return 0
    sleep 0.1
  done
  return 1
}
# procs CONFIG: how many processes run with CONFIG as an argument
procs() { pgrep -c -f -- "serve $1\$" || true; }

UP_PORT=$(free_port)
PORT=$(free_port)
[ "$UP_PORT" != "$PORT" ] || PORT=$(free_port)
STATE=$HOME/.local/state/dm/registry-mirror-$PORT
CFG=$STATE/config.yml
PIDFILE=$STATE/registry.pid
up_pid=

cleanup() {
  local p
  # whatever this test started: the upstream, and the mirror of each pidfile it may have left
  for f in "$HOME"/.local/state/dm/registry-mirror-*/registry.pid; do
    [ -f "$f" ] && p=$(cat "$f") && kill "$p" 2>/dev/null || true
  done
  [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null || true
  kc delete ns "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# the upstream: a plain registry (no proxy) on loopback
mkdir -p "$T/upstream"
cat >"$T/upstream/config.yml" <<EOT
version: 0.1
storage: {filesystem: {rootdirectory: $T/upstream/data}}
http: {addr: "127.0.0.1:$UP_PORT"}
EOT
setsid "$REG" serve "$T/upstream/config.yml" >"$T/upstream/log" 2>&1 </dev/null &
up_pid=$!
for _ in $(seq 100); do answers "http://127.0.0.1:$UP_PORT" && break; sleep 0.1; done
answers "http://127.0.0.1:$UP_PORT" || fail "the upstream registry did not start: $(tail -3 "$T/upstream/log")"

flavour "$ns"
cat >"$P/k8s/configs/mk.yaml" <<EOT
provider: minikube
profile: dmserve
cpus: 1
registry_mirror:
  serve: 127.0.0.1:$PORT
  upstream: http://127.0.0.1:$UP_PORT
  storage: cache
EOT
M="--registry-mirror http://127.0.0.1:$PORT --insecure-registry 127.0.0.1:$PORT"

# --dry-run: the registry's command and minikube's, nothing started, nothing written
run 0 -f "$F" --dry-run start
grep -qxF "$REG serve $CFG" "$T/out" || fail "--dry-run lacks the registry: $(cat "$T/out")"
grep -qxF "$DM_MINIKUBE start -p dmserve --cpus 1 $M" "$T/out" || fail "--dry-run start: $(cat "$T/out")"
[ ! -e "$CFG" ] && ! answers "http://127.0.0.1:$PORT" || fail "--dry-run started something"
pass "--dry-run shows docker-registry serve and the mirror on minikube start"

# start: the registry answers first, then minikube gets it as its mirror
log_reset
run 0 -f "$F" start
answers "http://127.0.0.1:$PORT" || fail "the mirror does not answer GET /v2/ on 127.0.0.1:$PORT"
log_has "minikube start -p dmserve --cpus 1 $M"
[ "$(stat -c %a "$CFG")" = 600 ] || fail "config.yml has mode $(stat -c %a "$CFG"), not 600"
grep -qxF "    rootdirectory: \"$P/k8s/configs/cache\"" "$CFG" || fail "storage not resolved against the target's folder: $(cat "$CFG")"
grep -qxF "  remoteurl: \"http://127.0.0.1:$UP_PORT\"" "$CFG" || fail "config.yml lacks the upstream: $(cat "$CFG")"
grep -qxF "  addr: \"127.0.0.1:$PORT\"" "$CFG" || fail "config.yml lacks the address: $(cat "$CFG")"
pid=$(cat "$PIDFILE")
kill -0 "$pid" || fail "pidfile names $pid, which does not run"
[ "$(procs "$CFG")" = 1 ] || fail "$(procs "$CFG") registries run with $CFG, expected 1"
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "the registry does not lead a session of its own"
[ -s "$STATE/registry.log" ] || fail "registry.log is empty"
grep -qF "started the registry mirror on 127.0.0.1:$PORT (pid $pid)" "$T/err" || fail "start does not say it started the mirror"
# the pull-through cache works: an API call the mirror forwards to the upstream (catalog stays local,
# tags/list goes through the proxy)
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/library/none/tags/list")" = 404 ] ||
  fail "the mirror does not answer a registry API call"
# a pull-through cache refuses pushes (docs/dm-cluster.md says so of a mirror on every address)
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/v2/x/blobs/uploads/")" = 405 ] ||
  fail "the mirror accepts a push"
pass "start runs the mirror (pid $pid, answers /v2/), then minikube start with it; config.yml 0600"

# a second start reuses it
log_reset
run 0 -f "$F" start
[ "$(cat "$PIDFILE")" = "$pid" ] || fail "a second start replaced pid $pid by $(cat "$PIDFILE")"
[ "$(procs "$CFG")" = 1 ] || fail "after a second start $(procs "$CFG") registries run"
grep -qF "registry mirror on 127.0.0.1:$PORT is already running (pid $pid): using it" "$T/err" || fail "second start: $(cat "$T/err")"
pass "a second start reuses the running mirror"

# the same port with another configuration: refused (exit 3), the running mirror untouched
sed "s|upstream: http://127.0.0.1:$UP_PORT|upstream: http://localhost:$UP_PORT|" "$P/k8s/configs/mk.yaml" >"$P/k8s/configs/other.yaml"
cp "$CFG" "$T/config.before"
log_reset
expect_err 3 "$P/k8s/configs/other.yaml: a registry mirror with another configuration already runs on port $PORT (pid $pid, $CFG): stop it first (dm-cluster delete with the target that started it)" \
  -f "$F" --target "$P/k8s/configs/other.yaml" start
log_lacks "minikube start .*"
cmp -s "$CFG" "$T/config.before" && [ "$(cat "$PIDFILE")" = "$pid" ] && answers "http://127.0.0.1:$PORT" ||
  fail "the running mirror was changed"
pass "another configuration on the same port: exit 3, the running mirror untouched"

# status, text and JSON (its exit code says whether the test bed has a Ready node: not checked here)
status() {
  local rc=0
  "$DMC" -f "$F" "$@" status >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -le 1 ] || fail "status $* exited $rc"
}
status
grep -qxE "mirror +127\.0\.0\.1:$PORT \(running, pid $pid; caching http://127\.0\.0\.1:$UP_PORT\)" "$T/out" ||
  fail "status: $(cat "$T/out")"
status --json
python3 - "$T/out" "$PORT" "$pid" "$DM_SOURCE_DIR/docs/json.schema.json" <<'EOP' || fail "status --json: $(cat "$T/out")"
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[4]))).validate(doc)
m = doc["registry_mirror"]
assert m["serve"] == "127.0.0.1:" + sys.argv[2] and m["url"] == "http://127.0.0.1:" + sys.argv[2], m
assert m["running"] is True and m["pid"] == int(sys.argv[3]), m
EOP
pass "status shows the mirror running"

# stop leaves the mirror running (like the original's --restart=always registry)
run 0 -f "$F" stop
answers "http://127.0.0.1:$PORT" && kill -0 "$pid" || fail "stop stopped the mirror"
pass "stop leaves the mirror running"

# delete stops it; the cache folder stays
mkdir -p "$P/k8s/configs/cache/docker" && touch "$P/k8s/configs/cache/docker/kept"
run 0 -f "$F" --yes delete
grep -qF "stopped the registry mirror on 127.0.0.1:$PORT (pid $pid); its cache stays in $P/k8s/configs/cache" "$T/err" ||
  fail "delete: $(cat "$T/err")"
! answers "http://127.0.0.1:$PORT" || fail "the port still answers after delete"
gone "$pid" || fail "pid $pid still runs after delete"
[ ! -e "$PIDFILE" ] || fail "the pidfile is left after delete"
[ -e "$P/k8s/configs/cache/docker/kept" ] || fail "delete removed the cache"
status
grep -qxE "mirror +127\.0\.0\.1:$PORT \(not running\)" "$T/out" || fail "status after delete: $(cat "$T/out")"
run 0 -f "$F" --yes delete
grep -qF "no registry mirror of this target runs on 127.0.0.1:$PORT" "$T/err" || fail "second delete: $(cat "$T/err")"
pass "delete stops the mirror (port closed, process gone), keeps the cache"

# a pidfile that names another process (a pid reused since) is not the mirror: start runs a new
# one, delete stops that one, the other process is never signalled
sleep 300 &
other=$!
echo "$other" >"$PIDFILE"
run 0 -f "$F" start
pid2=$(cat "$PIDFILE")
[ "$pid2" != "$other" ] && answers "http://127.0.0.1:$PORT" || fail "start did not run a new mirror"
run 0 -f "$F" --yes delete
gone "$pid2" || fail "delete left pid $pid2"
kill -0 "$other" || fail "the unrelated process $other was stopped"
kill "$other"
wait "$other" 2>/dev/null || true
pass "a pidfile naming an unrelated process: that process is left alone"

# docker-registry missing from PATH: one line, exit 1, minikube never asked
mkdir -p "$T/bin" && ln -sf "$(command -v python3)" "$T/bin/python3"
log_reset
rc=0
env PATH="$T/bin" "$DMC" -f "$F" start >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "without docker-registry start exited $rc, expected 1"
err_is "dm-cluster: error: 'docker-registry' not found in PATH (or set DM_DOCKER_REGISTRY to its path); install docker-registry (the Debian package of the CNCF distribution registry), or give registry_mirror as a URL of a mirror you run"
[ ! -s "$T/argv.log" ] || fail "minikube was run: $(cat "$T/argv.log")"
pass "docker-registry missing: one line, exit 1, minikube not run"

# a registry that ends at start (its upstream does not answer): the reason and the log file, exit 1,
# minikube not started, nothing left running
DEAD=$(free_port)
PORT2=$(free_port)
cat >"$P/k8s/configs/dead.yaml" <<EOT
provider: minikube
profile: dmdead
registry_mirror: {serve: "127.0.0.1:$PORT2", upstream: "http://127.0.0.1:$DEAD"}
EOT
log_reset
run 1 -f "$F" --target "$P/k8s/configs/dead.yaml" start
grep -qF "dm-cluster: error: the registry mirror on 127.0.0.1:$PORT2 ($REG) ended at start: panic: Get \"http://127.0.0.1:$DEAD/v2/\"" "$T/err" ||
  fail "registry ending at start: $(cat "$T/err")"
grep -qF "(see $HOME/.local/state/dm/registry-mirror-$PORT2/registry.log)" "$T/err" || fail "the error does not name the log: $(cat "$T/err")"
log_lacks "minikube start .*"
[ ! -e "$HOME/.local/state/dm/registry-mirror-$PORT2/registry.pid" ] || fail "a pidfile is left after a failed start"
[ "$(procs "$HOME/.local/state/dm/registry-mirror-$PORT2/config.yml")" = 0 ] || fail "a failed registry is left running"
pass "a registry that ends at start: its reason and log file, exit 1, no minikube start"

# another registry already answers on the port: refused, exit 3, the other one untouched
cat >"$P/k8s/configs/taken.yaml" <<EOT
provider: minikube
profile: dmtaken
registry_mirror: {serve: "127.0.0.1:$UP_PORT", upstream: "http://127.0.0.1:$UP_PORT"}
EOT
log_reset
expect_err 3 "another registry already answers at http://127.0.0.1:$UP_PORT/v2/" -f "$F" --target "$P/k8s/configs/taken.yaml" start
log_lacks "minikube start .*"
answers "http://127.0.0.1:$UP_PORT" || fail "the other registry was stopped"
pass "a port another registry answers on: exit 3, minikube not run"

bad_target 4:3 "unknown key 'servee' in registry_mirror (expected one of: serve, upstream, storage, url)" \
  "provider: minikube" "registry_mirror:" "  serve: 127.0.0.1:5000" "  servee: x" "  upstream: http://u:5000"
bad_target 2:18 "missing required key 'upstream'" "provider: minikube" "registry_mirror: {serve: '127.0.0.1:5000'}"
bad_target 2:26 "registry_mirror: serve 'localhost' must be HOST:PORT" "provider: minikube" \
  "registry_mirror: {serve: localhost, upstream: 'http://u'}"
bad_target 2:26 "registry_mirror: serve '127.0.0.1:70000' must be HOST:PORT" "provider: minikube" \
  "registry_mirror: {serve: '127.0.0.1:70000', upstream: 'http://u'}"
bad_target 2:26 "registry_mirror: serve '0.0.0.0:5000' listens on every address: give 'url', where minikube's node reaches it (e.g. http://192.168.49.1:5000)" \
  "provider: minikube" "registry_mirror: {serve: '0.0.0.0:5000', upstream: 'http://u'}"
bad_target 2:54 "registry_mirror: upstream 'http://u/v2' must be http://HOST[:PORT] or https://HOST[:PORT]" \
  "provider: minikube" "registry_mirror: {serve: '127.0.0.1:5000', upstream: 'http://u/v2'}"
bad_target 2:71 "registry_mirror: url 'ftp://h' must be" \
  "provider: minikube" "registry_mirror: {serve: '127.0.0.1:5000', upstream: 'http://u', url: 'ftp://h'}"
bad_target 2:1 "key 'registry_mirror' does not apply to provider microk8s" "provider: microk8s" \
  "registry_mirror: {serve: '127.0.0.1:5000', upstream: 'http://u'}"
pass "bad keys: exit 3 with file:line:column"

# 0.0.0.0 with url: the node's address goes to minikube, the probe uses loopback (dry run)
printf 'provider: minikube\nprofile: dmall\nregistry_mirror: {serve: "0.0.0.0:%s", upstream: "http://127.0.0.1:%s", url: "http://192.168.49.1:%s"}\n' \
  "$PORT" "$UP_PORT" "$PORT" >"$P/k8s/configs/all.yaml"
run 0 -f "$F" --target "$P/k8s/configs/all.yaml" --dry-run start
grep -qxF "$DM_MINIKUBE start -p dmall --registry-mirror http://192.168.49.1:$PORT --insecure-registry 192.168.49.1:$PORT" "$T/out" ||
  fail "0.0.0.0 with url: $(cat "$T/out")"
pass "serve 0.0.0.0 with url: minikube gets the url"

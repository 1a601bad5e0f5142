#!/usr/bin/env bash
# dm-secrets --alias and --format alias against the real API server: 20 writers at once keep
# all 20 aliases (the alias file stays valid YAML, mode 0600, no lock or temporary file left);
# the file's comments and other lines survive a write; and --format alias escapes what YAML
# does not take raw (C1 controls such as NEL, the BOM, U+FFFE/U+FFFF), so that a YAML reader
# gives back the Secret's exact value.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/fixtures/k8s/lib.sh"

ns=$(new_ns alias)
cleanup_ns+=("$ns")
kc -n "$ns" create secret generic s3 --from-literal=rootUser=alias-ak-0001 --from-literal=rootPassword=alias-sk-0002 >/dev/null

# --- 20 writers at once ------------------------------------------------------------------------
N=20
pids=()
for i in $(seq 1 $N); do
  "$SECRETS" --secret s3 -n "$ns" --alias "w$i" --endpoint "http://127.0.0.1:$((9000 + i))" \
    >"$T/w$i.out" 2>"$T/w$i.err" &
  pids+=($!)
done
failed=0
for i in $(seq 1 $N); do
  wait "${pids[$((i - 1))]}" || { failed=$((failed + 1)); cat "$T/w$i.err" >&2; }
  cat "$T/w$i.err" >>"$ERRLOG"
done
[ "$failed" = 0 ] || fail "$failed of $N writers failed"
python3 - "$DM_ALIASES" "$N" <<'PY' || fail "the alias file lost aliases or is not valid YAML: $(cat "$DM_ALIASES")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
n = int(sys.argv[2])
got = doc["aliases"]
want = {f"w{i}": f"http://127.0.0.1:{9000 + i}" for i in range(1, n + 1)}
missing = sorted(set(want) - set(got))
assert not missing, f"{len(got)} of {n} aliases kept; missing {missing}"
for name, url in want.items():
    a = got[name]
    assert a["url"] == url and a["access_key"] == "alias-ak-0001" and a["secret_key"] == "alias-sk-0002", (name, a)
PY
[ "$(stat -c %a "$DM_ALIASES")" = 600 ] || fail "the alias file has mode $(stat -c %a "$DM_ALIASES")"
left=$(cd "$T" && ls -A | grep '^aliases\.yaml.' || true)
[ -z "$left" ] || fail "left behind: $left"
pass "$N writers at once: all $N aliases kept, valid YAML, mode 0600, no lock or temporary file left"

# --- comments and other lines survive a write ----------------------------------------------------
cat >"$DM_ALIASES" <<'YAML'
# the team's aliases: ask ops before changing them
aliases:
  # production
  prod:
    url: https://s3.example.org   # behind the proxy
    access_key: prod-ak
    secret_key: prod-sk
  lake:
    url: http://127.0.0.1:1
    access_key: old-ak
    secret_key: old-sk
# end of the team's aliases
YAML
chmod 600 "$DM_ALIASES"
run 0 "$T/out" --secret s3 -n "$ns" --alias lake --endpoint http://127.0.0.1:9000
grep -q warning "$T/err" && fail "a warning for a file in dm's layout: $(cat "$T/err")"
run 0 "$T/out" --secret s3 -n "$ns" --alias added --endpoint http://127.0.0.1:9001
grep -q warning "$T/err" && fail "a warning for a file in dm's layout: $(cat "$T/err")"
cat >"$T/want" <<'YAML'
# the team's aliases: ask ops before changing them
aliases:
  # production
  prod:
    url: https://s3.example.org   # behind the proxy
    access_key: prod-ak
    secret_key: prod-sk
  "lake":
    url: "http://127.0.0.1:9000"
    access_key: "alias-ak-0001"
    secret_key: "alias-sk-0002"
    region: "us-east-1"
# end of the team's aliases
  "added":
    url: "http://127.0.0.1:9001"
    access_key: "alias-ak-0001"
    secret_key: "alias-sk-0002"
    region: "us-east-1"
YAML
diff "$T/want" "$DM_ALIASES" || fail "the alias file's other lines or comments changed"
python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))["aliases"]; assert sorted(d) == ["added", "lake", "prod"], d' \
  "$DM_ALIASES" || fail "the alias file does not read back"
pass "--alias replaces and adds its alias line by line: comments and the other aliases stay as they were"

# --- --format alias escapes C1 controls, the BOM and U+FFFE/U+FFFF -------------------------------
# NEL (U+0085) is a line break to YAML: raw, a reader folds it; U+008C, U+FFFE and a BOM inside
# the text are refused raw
printf 'c1\xc2\x85nel\xc2\x8cff\xef\xbb\xbfbom\xef\xbf\xbeend' >"$T/c1"
kc -n "$ns" create secret generic c1 --from-literal=rootUser=c1-ak-0003 --from-file=rootPassword="$T/c1" >/dev/null
run 0 "$T/alias" --secret c1 -n "$ns" --format alias --endpoint http://127.0.0.1:9000 --alias c1
grep -qF 'secret_key: "c1\x85nel\x8cff\ufeffbom\ufffeend"' "$T/alias" || { cat -A "$T/alias"; fail "--format alias did not escape the C1 controls, BOM and U+FFFE"; }
LC_ALL=C grep -q $'\xc2\x85\|\xc2\x8c\|\xef\xbb\xbf\|\xef\xbf\xbe' "$T/alias" && fail "--format alias wrote a C1 control, BOM or U+FFFE raw"
python3 - "$T/alias" "$T/c1" <<'PY' || fail "--format alias does not read back as the Secret's value"
import sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["aliases"]["c1"]
want = open(sys.argv[2], encoding="utf-8").read()
assert a["secret_key"] == want, (a["secret_key"], want)
assert a["access_key"] == "c1-ak-0003" and a["url"] == "http://127.0.0.1:9000", a
PY
# the alias file written by --alias reads back the same
run 0 "$T/out" --secret c1 -n "$ns" --alias c1 --endpoint http://127.0.0.1:9000
python3 - "$DM_ALIASES" "$T/c1" <<'PY' || fail "--alias does not read back as the Secret's value"
import sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["aliases"]["c1"]
assert a["secret_key"] == open(sys.argv[2], encoding="utf-8").read(), a
PY
pass "--format alias and --alias escape C1 controls, the BOM and U+FFFE: a YAML reader gets the exact value"

no_secret_in_stderr alias-sk-0002 "nel"
echo "secrets-alias: all passed"

#!/usr/bin/env bash
# dm-secrets against the real API server: values byte for byte (--key equals kubectl | base64 -d),
# env format survives eval, json/mc/alias formats, component configs, namespace defaults, usage
# errors, and no value on stderr at -vv.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/fixtures/k8s/lib.sh"

ns=$(new_ns values)
cleanup_ns+=("$ns")

# --- awkward values, made with kubectl from files -------------------------------------------------
v=$T/values
mkdir -p "$v"
printf '%s' "AKIA-plain-0001" >"$v/plain"
printf "it's \"quoted\" \$HOME \`id\` \$(touch pwned) \\\\ back;|&<>*?" >"$v/shell"
printf 'line one\nline two\n\n' >"$v/newlines"
printf '  leading and trailing spaces  ' >"$v/spaces"
printf 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91' >"$v/utf8"
printf "'" >"$v/quote"
: >"$v/empty"
# every byte value, NUL included
awk 'BEGIN { for (i = 0; i < 256; i++) printf "%c", i }' </dev/null >"$v/binary"
[ "$(wc -c <"$v/binary")" = 256 ] || fail "could not make the 256-byte test value"
head -c 100000 /dev/urandom >"$v/random"
args=()
for k in plain shell newlines spaces utf8 quote empty binary random; do args+=("--from-file=$k=$v/$k"); done
kc -n "$ns" create secret generic awkward "${args[@]}" >/dev/null

for k in plain shell newlines spaces utf8 quote empty binary random; do
  kc -n "$ns" get secret awkward -o jsonpath="{.data.$k}" | base64 -d >"$T/expected"
  cmp -s "$T/expected" "$v/$k" || fail "kubectl round trip of '$k' differs (test set-up)"
  run 0 "$T/got" --secret awkward -n "$ns" --key "$k"
  cmp "$T/expected" "$T/got" || fail "--key $k differs from kubectl get secret | base64 -d"
done
pass "--key equals kubectl | base64 -d byte for byte (binary, newlines, quotes, \$, UTF-8, empty, 100 kB)"

expect_err 1 "secret \"awkward\" in namespace \"$ns\" has no key 'nope' (keys: binary, empty, newlines" \
  --secret awkward -n "$ns" --key nope
pass "a missing key lists the keys, not the values"

# --- env format: eval gives back the exact bytes -----------------------------------------------
kc -n "$ns" create secret generic pair --from-file=AWS_ACCESS_KEY_ID="$v/shell" \
  --from-file=AWS_SECRET_ACCESS_KEY="$v/newlines" --from-file=other="$v/plain" >/dev/null
run 0 "$T/env" --secret pair -n "$ns" --format env
(
  cd "$T"
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  eval "$(cat "$T/env")"
  [ ! -e "$T/pwned" ] || fail "eval of the env format ran a command from a value"
  printf '%s' "$AWS_ACCESS_KEY_ID" | cmp - "$v/shell" || fail "AWS_ACCESS_KEY_ID after eval differs"
  printf '%s' "$AWS_SECRET_ACCESS_KEY" | cmp - "$v/newlines" || fail "AWS_SECRET_ACCESS_KEY after eval differs"
)
grep -q '^export AWS_ENDPOINT_URL' "$T/env" && fail "AWS_ENDPOINT_URL printed without an endpoint"
grep -q 'MC_HOST_' "$T/env" && fail "MC_HOST_ printed without an endpoint"
# the default format is env
run 0 "$T/env2" --secret pair -n "$ns"
cmp "$T/env" "$T/env2" || fail "the default format is not env"
pass "env format survives eval byte for byte (quotes, \$, backticks, \$(...), newlines)"

# with an endpoint: AWS_ENDPOINT_URL and MC_HOST_<alias> with percent-escaped keys
kc -n "$ns" create secret generic mc --from-literal=rootUser='user:with@odd/chars' \
  --from-literal=rootPassword="pa ss'wo\"rd%" >/dev/null
run 0 "$T/env" --secret mc -n "$ns" --endpoint http://127.0.0.1:9000/ --alias lake --format env
(
  eval "$(cat "$T/env")"
  [ "$AWS_ENDPOINT_URL" = "http://127.0.0.1:9000" ] || fail "AWS_ENDPOINT_URL is '$AWS_ENDPOINT_URL'"
  # shellcheck disable=SC2154
  [ "$MC_HOST_lake" = "http://user%3Awith%40odd%2Fchars:pa%20ss%27wo%22rd%25@127.0.0.1:9000" ] ||
    fail "MC_HOST_lake is wrong"
)
pass "env format with --endpoint: AWS_ENDPOINT_URL and MC_HOST_lake (percent-escaped)"

# --- json, mc, alias formats --------------------------------------------------------------------
kc -n "$ns" create secret generic js --from-literal=a='x"y\z' --from-file=b="$v/newlines" \
  --from-file=c="$v/utf8" >/dev/null
run 0 "$T/json" --secret js -n "$ns" --format json
printf '{\n  "a": "x\\"y\\\\z",\n  "b": "line one\\nline two\\n\\n",\n  "c": "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"\n}\n' >"$T/want"
cmp "$T/want" "$T/json" || { cat "$T/json"; fail "json format"; }
expect_err 1 "the value of key 'binary' in secret \"awkward\" holds a NUL byte, which --format json cannot carry; use --key binary" \
  --secret awkward -n "$ns" --format json
pass "json format: every key, escaped; binary values refused with a pointer to --key"

run 0 "$T/mc" --secret mc -n "$ns" --format mc --endpoint https://s3.example:9000 --alias lake
cat >"$T/want" <<'EOF'
{
  "lake": {
    "url": "https://s3.example:9000",
    "accessKey": "user:with@odd/chars",
    "secretKey": "pa ss'wo\"rd%",
    "api": "s3v4",
    "path": "auto"
  }
}
EOF
cmp "$T/want" "$T/mc" || { cat "$T/mc"; fail "mc format"; }
rm -f "$DM_ALIASES"  # the --alias runs above wrote it
run 0 "$T/alias" --secret mc -n "$ns" --format alias --endpoint https://s3.example:9000
cat >"$T/want" <<'EOF'
aliases:
  "mc":
    url: "https://s3.example:9000"
    access_key: "user:with@odd/chars"
    secret_key: "pa ss'wo\"rd%"
EOF
cmp "$T/want" "$T/alias" || { cat "$T/alias"; fail "alias format"; }
[ ! -e "$DM_ALIASES" ] || fail "--format alias wrote the alias file"
pass "mc and alias formats"

# --alias writes dm's alias file, 0600, keeping other aliases
run 0 "$T/out" --secret mc -n "$ns" --endpoint http://127.0.0.1:9000 --alias first
run 0 "$T/out" --secret pair -n "$ns" --endpoint http://127.0.0.1:9001 --alias second
[ ! -s "$T/out" ] || fail "--alias alone printed to stdout"
[ "$(stat -c %a "$DM_ALIASES")" = 600 ] || fail "alias file mode is $(stat -c %a "$DM_ALIASES")"
grep -q '"first":' "$DM_ALIASES" && grep -q '"second":' "$DM_ALIASES" || fail "alias file lost an alias"
grep -qF 'access_key: "user:with@odd/chars"' "$DM_ALIASES" || fail "alias file lacks the access key"
grep -qF "alias 'second' (http://127.0.0.1:9001) written to '$DM_ALIASES'" "$T/err" || fail "no confirmation"
pass "--alias writes the alias file (0600), keeping the others"

# --- the credential pair: common spellings, explicit fields ------------------------------------
i=0
for pair in accesskey:secretkey rootUser:rootPassword root-user:root-password access_key:secret_key accessKey:secretKey; do
  a=${pair%%:*} s=${pair##*:}
  i=$((i + 1)) name=spelling-$i
  kc -n "$ns" create secret generic "$name" --from-literal="$a=AK-$a" --from-literal="$s=SK-$s" \
    --from-literal=unrelated=zzzz >/dev/null
  run 0 "$T/env" --secret "$name" -n "$ns"
  grep -qx "export AWS_ACCESS_KEY_ID='AK-$a'" "$T/env" && grep -qx "export AWS_SECRET_ACCESS_KEY='SK-$s'" "$T/env" ||
    fail "pair $pair not found"
done
kc -n "$ns" create secret generic custom --from-literal=user=cu-ak --from-literal=pass=cu-sk >/dev/null
expect_err 1 "secret \"custom\" holds no access/secret key pair of a known spelling (keys: pass, user); name them with --access-key-field" \
  --secret custom -n "$ns"
run 0 "$T/env" --secret custom -n "$ns" --access-key-field user --secret-key-field pass
grep -qx "export AWS_ACCESS_KEY_ID='cu-ak'" "$T/env" || fail "--access-key-field"
grep -qx "export AWS_SECRET_ACCESS_KEY='cu-sk'" "$T/env" || fail "--secret-key-field"
expect_err 1 "secret \"custom\" has no key 'nope' (keys: pass, user)" \
  --secret custom -n "$ns" --access-key-field nope --secret-key-field pass
pass "credential pair: the common spellings, --access-key-field/--secret-key-field"

# --- components ---------------------------------------------------------------------------------
kc -n "$ns" create secret generic minio-credentials --from-literal=rootUser=comp-ak-1234 \
  --from-literal=rootPassword=comp-sk-5678 >/dev/null
run 0 "$T/env" minio -n "$ns" --components-dir "$FIX/components"
grep -qx "export AWS_ACCESS_KEY_ID='comp-ak-1234'" "$T/env" || fail "component minio: access key"
grep -qx "export AWS_ENDPOINT_URL='http://minio.$ns.svc.cluster.local:9000'" "$T/env" ||
  { cat "$T/env"; fail "component minio: endpoint with \${release} and \${namespace}"; }
grep -qx "export MC_HOST_minio='http://comp-ak-1234:comp-sk-5678@minio.$ns.svc.cluster.local:9000'" "$T/env" ||
  fail "component minio: MC_HOST_minio"
run 0 "$T/env" minio -n "$ns" --components-dir "$FIX/components" --endpoint http://127.0.0.1:9000
grep -qx "export MC_HOST_minio='http://comp-ak-1234:comp-sk-5678@127.0.0.1:9000'" "$T/env" || fail "--endpoint wins"
kc -n "$ns" create secret generic legacy-minio --from-literal=accesskey=leg-ak --from-literal=secretkey=leg-sk \
  --from-literal=rootUser=wrong >/dev/null
run 0 "$T/env" legacy-minio -n "$ns" --components-dir "$FIX/components"
grep -qx "export AWS_ACCESS_KEY_ID='leg-ak'" "$T/env" || fail "component legacy-minio: access key field"
grep -q "^export MC_HOST_" "$T/env" && fail "legacy-minio is not a valid env name part: no MC_HOST_ expected"
grep -qF "'legacy-minio' cannot be part of an environment variable name" "$T/err" || fail "no warning for MC_HOST_"
# a platform of its own (its .dm-platform found from a folder inside it): its default flavour's
# project namespace is the default, and its components folder is found without --components-dir
mkdir -p "$T/proj/flavours/sub"
touch "$T/proj/.dm-platform"
cp -r "$FIX/components" "$T/proj/components"
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n' "$ns" >"$T/proj/flavours/default.yaml"
(cd "$T/proj/flavours/sub" && "$SECRETS" minio --key rootPassword >"$T/got" 2>>"$ERRLOG") || fail "flavour defaults"
[ "$(cat "$T/got")" = comp-sk-5678 ] || fail "flavour namespace default"
(cd "$T" && "$SECRETS" -f "$T/proj/flavours/default.yaml" minio --key rootUser >"$T/got" 2>>"$ERRLOG") ||
  fail "--flavour"
[ "$(cat "$T/got")" = comp-ak-1234 ] || fail "--flavour namespace"
# the flavour's section of the component counts as it does for dm-helm: its namespace, not the project's
printf 'project:\n  k8s_namespace: elsewhere\n  flavour: all\nminio:\n  namespace: %s\n' "$ns" >"$T/proj/flavours/inline.yaml"
(cd "$T" && "$SECRETS" -f "$T/proj/flavours/inline.yaml" minio --key rootUser >"$T/got" 2>>"$ERRLOG") ||
  fail "a flavour with a section for minio"
[ "$(cat "$T/got")" = comp-ak-1234 ] || fail "the flavour's section of minio: its namespace"
# a flavour that does not load is an error, as in dm-helm, whatever is asked
printf 'project:\n  k8s_namespace: %s\n  flavour: all\n  colour: red\n' "$ns" >"$T/proj/flavours/bad.yaml"
expect_err 3 "$T/proj/flavours/bad.yaml:4:3: unknown key 'colour' in project" -f "$T/proj/flavours/bad.yaml" --secret pair
expect_err 3 "no component 'nope': '$FIX/components/nope/config.yaml' does not exist" nope --components-dir "$FIX/components"
expect_err 3 "component 'no-secret' names no Secret" no-secret --components-dir "$FIX/components"
printf 'secret:\n  name: [a, b]\n' >"$T/proj/components/minio/config.yaml"
expect_err 3 "components/minio/config.yaml:2:9:" minio --components-dir "$T/proj/components"
pass "components: Secret and key names from config.yaml, endpoint template, flavour namespace, errors"

# --- namespace defaults: context namespace, else data-mill --------------------------------------
sed "s/^    user: dm-test-user/    user: dm-test-user\n    namespace: $ns/" "$KUBECONFIG" >"$T/kc-ns"
run 0 "$T/got" --kubeconfig "$T/kc-ns" --secret pair --key other
cmp "$T/got" "$v/plain" || fail "the context's namespace is not the default"
expect_err 1 "namespace \"data-mill\" not found (looking for secret \"pair\")" --secret pair
pass "namespace: the context's, else data-mill"

# --- usage --------------------------------------------------------------------------------------
run 0 "$T/help" --help
grep -q '^Usage: dm-secrets' "$T/help" && grep -q 'Exit codes:' "$T/help" || fail "--help"
expect_err 2 "name a COMPONENT or a Secret with --secret NAME"
expect_err 2 "give either COMPONENT or --secret NAME, not both" minio --secret x
expect_err 2 "unknown --format 'yaml' (env, json, mc or alias)" --secret x --format yaml
expect_err 2 "--key prints one raw value" --secret x --key a --format env
expect_err 2 "--alias needs the S3 endpoint: give --endpoint URL" --secret x --alias a
expect_err 2 "--endpoint 'ftp://x' must be" --secret x --endpoint ftp://x
expect_err 2 "--in-cluster does not go with --kubeconfig" --secret x --in-cluster --kubeconfig x
expect_err 1 "invalid secret name 'a/../b'" --secret 'a/../b' -n "$ns"
run 2 "$T/out" --bogus
[ "$(cat "$T/err")" = "dm-secrets: error: unknown option '--bogus'"$'\n'"Try 'dm-secrets --help' for more information." ] ||
  fail "--bogus: stderr is not the message and the --help hint: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "--bogus printed to stdout"
pass "usage errors exit 2 with a message"

# --- -vv never shows a value ---------------------------------------------------------------------
run 0 "$T/out" -vv --secret pair -n "$ns" --endpoint http://127.0.0.1:9000 --alias vv
run 0 "$T/out" -vv minio -n "$ns" --components-dir "$FIX/components" --format json
grep -q "reading secret \"pair\" in namespace \"$ns\"" "$ERRLOG" || fail "-v says nothing useful"
no_secret_in_stderr "$(cat "$v/plain")" "$(cat "$v/shell")" "line one" "leading and trailing" "AKIA-plain" \
  comp-ak-1234 comp-sk-5678 leg-ak leg-sk cu-ak cu-sk "user:with@odd" "pa ss'wo" "$DM_TEST_K8S_ADMIN_TOKEN" \
  "$(base64 -w0 <"$v/shell")" "$(kc -n "$ns" get secret pair -o jsonpath='{.data.AWS_SECRET_ACCESS_KEY}')"
pass "no secret value or token on any stderr"

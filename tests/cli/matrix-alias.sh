#!/usr/bin/env bash
# The bad-input matrix of the alias file, MC_HOST_ URLs and --k8s-job (IDs A..), cases that need
# no server: alias names dm-seed could not resolve refused by dm-secrets --alias (the alias file
# left byte for byte as it was, no lock or temporary file behind), an S3 url with a path refused
# in the same words from MC_HOST_ and from the alias file, and the options --k8s-job cannot
# carry into its pods.  See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"

SRC=$T/src
mkdir -p "$SRC"
echo one >"$SRC/one.txt"
# an alias file with comments: a refused --alias must leave it as it was
cat >"$DM_ALIASES" <<'YAML'
# the team's aliases
aliases:
  keep:   # the lake
    url: http://127.0.0.1:9
    access_key: mx-access-0001
    secret_key: mx-secret-0002
YAML
chmod 600 "$DM_ALIASES"
cp -p "$DM_ALIASES" "$T/aliases.before"
untouched() { # CASE
  check same_file "$DM_ALIASES" "$T/aliases.before" "$1: the alias file is unchanged"
  check only_files "$HOME" aliases.yaml "$1: no lock or temporary file left"
}
# dm-secrets stops at the name: no kubeconfig is read, no server asked
no_kc=(--kubeconfig "$T/no-kubeconfig" --secret s3 --endpoint http://127.0.0.1:9000)

# --- dm-secrets --alias: names dm-seed cannot resolve ------------------------------------------
mx A01 dm-secrets 2 "--alias a/b (dm-seed reads ALIAS/BUCKET)" \
  "dm-secrets: error: --alias: 'a/b' is not an alias name: it holds '/', which ends the alias in dm-seed's target ALIAS/BUCKET/PREFIX" \
  -- "${no_kc[@]}" --alias a/b
untouched A01
mx A02 dm-secrets 2 "--alias '' (empty)" "dm-secrets: error: --alias: '' is not an alias name: it is empty" \
  -- "${no_kc[@]}" --alias ''
untouched A02
mx A03 dm-secrets 2 "--alias a=b (no MC_HOST_ variable can hold it)" \
  "dm-secrets: error: --alias: 'a=b' is not an alias name: it holds '=', which cannot be part of the variable MC_HOST_<alias>" \
  -- "${no_kc[@]}" --alias a=b
untouched A03
mx A04 dm-secrets 2 "--alias with a tab and a newline" \
  "dm-secrets: error: --alias: 'a\\x09b\\x0a' is not an alias name: it holds a control character" \
  -- "${no_kc[@]}" --alias $'a\tb\n'
untouched A04
mx A05 dm-secrets 2 "--alias of 201 bytes" \
  "dm-secrets: error: --alias: 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is not an alias name: it is longer than 200 bytes" \
  -- "${no_kc[@]}" --alias "$(printf 'n%.0s' $(seq 1 201))"
untouched A05
mx A06 dm-secrets 2 "--alias not UTF-8" "dm-secrets: error: --alias: 'a\\xff' is not an alias name: it is not valid UTF-8" \
  -- "${no_kc[@]}" --alias $'a\xff'
untouched A06
mx A07 dm-secrets 2 "--endpoint with a path" \
  "dm-secrets: error: --endpoint 'http://127.0.0.1:9000/lake' must be http://HOST[:PORT] or https://HOST[:PORT]" \
  -- --kubeconfig "$T/no-kubeconfig" --secret s3 --endpoint http://127.0.0.1:9000/lake --alias ok
untouched A07

# --- an S3 url with a path: the same words from MC_HOST_ and from the alias file ----------------
MC_HOST_mx='http://mx-access-0003:mx-secret-0004@127.0.0.1:9/lake' mx A10 dm-seed 3 "MC_HOST_ URL with a path" \
  "dm-seed: error: MC_HOST_mx: url 'http://127.0.0.1:9/lake' must not have a path, query or fragment ('/lake'): an S3 endpoint is http(s)://HOST[:PORT]" \
  -- "$SRC" mx/bucket
printf 'aliases:\n  mx:\n    url: http://127.0.0.1:9/lake\n    access_key: mx-access-0003\n    secret_key: mx-secret-0004\n' >"$T/path.yaml"
DM_ALIASES=$T/path.yaml mx A11 dm-seed 3 "alias file url with a path" \
  "dm-seed: error: <tmp>/path.yaml:3:10: alias 'mx': url 'http://127.0.0.1:9/lake' must not have a path, query or fragment ('/lake'): an S3 endpoint is http(s)://HOST[:PORT]" \
  yaml -- "$SRC" mx/bucket
MC_HOST_mx='http://mx-access-0003:mx-secret-0004@127.0.0.1:9?region=x' mx A12 dm-seed 3 "MC_HOST_ URL with a query" \
  "dm-seed: error: MC_HOST_mx: url 'http://127.0.0.1:9?region=x' must not have a path, query or fragment ('?region=x'): an S3 endpoint is http(s)://HOST[:PORT]" \
  -- "$SRC" mx/bucket
MC_HOST_mx='http://mx-access-0003:mx-secret-0004@bad host:9' mx A13 dm-seed 3 "MC_HOST_ URL with a space in the host" \
  "dm-seed: error: MC_HOST_mx: url 'http://bad host:9' has the byte 0x20 in the host" -- "$SRC" mx/bucket
check not grep -rq mx-secret-0004 "$T/err" "A10-A13: the secret key is not shown"
mx A14 dm-seed 2 "target alias with '='" \
  "dm-seed: error: 'a=b' is not an alias name: it holds '=', which cannot be part of the variable MC_HOST_<alias>" \
  -- "$SRC" a=b/bucket

# --- --k8s-job: options its pods cannot get ------------------------------------------------------
job=(--k8s-job 2 --pvc data --endpoint http://minio:9000)
mx A20 dm-seed 2 "--k8s-job with --shard" \
  "dm-seed: error: --shard does not go with --k8s-job: the Job gives pod I the shard I/N" \
  -- "${job[@]}" --shard 0/2 "$SRC" mx/bucket
printf 'not a CA\n' >"$T/ca.pem"
mx A21 dm-seed 2 "--k8s-job with --ca-bundle" \
  "dm-seed: error: --ca-bundle does not go with --k8s-job: the file is on this machine, where the Job's pods cannot read it (build the CA into the image and set SSL_CERT_FILE there)" \
  -- "${job[@]}" --ca-bundle "$T/ca.pem" "$SRC" mx/bucket

mx_finish A

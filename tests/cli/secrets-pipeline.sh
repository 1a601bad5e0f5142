#!/usr/bin/env bash
# The pipeline: a Secret holding the test RGW's keys -> eval "$(dm-secrets ... --format env)" ->
# dm-seed seeds the RGW; and --alias + dm-seed with that alias does the same.  What landed is
# checked with an independent client (the AWS CLI).
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/fixtures/k8s/lib.sh"
[ -f "$DM_TEST_WORK/s3/env" ] || fail "no $DM_TEST_WORK/s3/env (fixture s3 not up?)"
. "$DM_TEST_WORK/s3/env"
unset MC_HOST_dmtest
export MC_CONFIG_DIR=$T/no-mc
SEED=$DM_BIN/dm-seed
[ -x "$SEED" ] || fail "$SEED not built"
command -v aws >/dev/null || fail "the AWS CLI (aws) is needed to check what landed"

# shellcheck source=s3-client.sh
. "$DM_SOURCE_DIR/tests/cli/s3-client.sh"   # s3cli
same_tree() { # LOCAL BUCKET
  local dl=$T/dl.$RANDOM
  mkdir -p "$dl"
  s3cli s3 cp --recursive --quiet "s3://$2" "$dl" >/dev/null
  diff -r "$1" "$dl" || fail "objects in $2 differ from $1"
}

ns=$(new_ns pipeline)
cleanup_ns+=("$ns")
# the Secret as the MinIO chart keeps it, holding the test RGW's keys
kc -n "$ns" create secret generic minio-credentials --from-literal=rootUser="$DM_TEST_S3_ACCESS_KEY" \
  --from-literal=rootPassword="$DM_TEST_S3_SECRET_KEY" >/dev/null

src=$T/data
mkdir -p "$src/raw/2024" "$src/with space"
printf 'id,value\n1,a\n2,b\n' >"$src/raw/2024/table.csv"
head -c 300000 /dev/urandom >"$src/raw/blob.bin"
printf 'x' >"$src/with space/file name.txt"

# 1. eval "$(dm-secrets minio --format env)" && dm-seed data/ minio/BUCKET
b1=pipeline-env-$$-$RANDOM
(
  out=$("$SECRETS" minio -n "$ns" --components-dir "$FIX/components" --endpoint "$DM_TEST_S3_ENDPOINT" \
        --format env 2>>"$ERRLOG") || fail "dm-secrets --format env"
  eval "$out"
  # shellcheck disable=SC2154
  [ -n "${MC_HOST_minio:-}" ] || fail "no MC_HOST_minio in the env format"
  "$SEED" --no-progress "$src" "minio/$b1" >"$T/seed.out" 2>"$T/seed.err" ||
    { cat "$T/seed.err" >&2; fail "dm-seed with the evaluated env failed"; }
)
same_tree "$src" "$b1"
pass "eval \"\$(dm-secrets minio --format env)\" && dm-seed data/ minio/$b1"

# 2. dm-secrets --alias, then dm-seed with that alias (from dm's alias file, no environment)
b2=pipeline-alias-$$-$RANDOM
run 0 "$T/out" --secret minio-credentials -n "$ns" --alias lake --endpoint "$DM_TEST_S3_ENDPOINT"
[ "$(stat -c %a "$DM_ALIASES")" = 600 ] || fail "alias file is not 0600"
(
  unset MC_HOST_lake AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
  "$SEED" --no-progress "$src" "lake/$b2" >"$T/seed.out" 2>"$T/seed.err" ||
    { cat "$T/seed.err" >&2; fail "dm-seed with alias 'lake' failed"; }
)
same_tree "$src" "$b2"
pass "dm-secrets --alias lake + dm-seed data/ lake/$b2"

no_secret_in_stderr "$DM_TEST_S3_SECRET_KEY" "$DM_TEST_S3_ACCESS_KEY"
grep -qF -- "$DM_TEST_S3_SECRET_KEY" "$T/seed.err" && fail "dm-seed printed the secret key"
pass "no keys on stderr"

# An independent S3 client for the tests (never dm's own code): the AWS CLI and curl's own SigV4
# signer, against the RGW of the fixture "s3" ($DM_TEST_WORK/s3/env, sourced by the caller).
# Sourced by seed-lib.sh (and so hard-lib.sh) and the matrix scripts that read buckets back.

# s3cli ARGS...: the AWS CLI, with no user configuration
s3cli() {
  AWS_ACCESS_KEY_ID=$DM_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$DM_TEST_S3_SECRET_KEY \
    AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    aws --endpoint-url "$DM_TEST_S3_ENDPOINT" "$@"
}

# s3curl URL-PATH [CURL ARGS...]: curl's SigV4, a second client that starts much faster than the
# AWS CLI (the path goes as given: add --path-as-is for dot segments)
s3curl() {
  local path=$1
  shift
  curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$DM_TEST_S3_ACCESS_KEY:$DM_TEST_S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" "$DM_TEST_S3_ENDPOINT$path"
}

# keys_in BUCKET [PREFIX]: every key, one a line, sorted (the AWS CLI follows the pages)
keys_in() {
  s3cli s3api list-objects-v2 --bucket "$1" ${2:+--prefix "$2"} --query 'Contents[].Key' --output json |
    python3 -c 'import json,sys; d=json.load(sys.stdin) or []; print("\n".join(sorted(d)))' | sed '/^$/d'
}

#!/usr/bin/env bash
# The smoke test over https, against the ctest fixture "s3tls" ($DM_TEST_WORK/s3tls).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/s3-smoke.sh" "${DM_TEST_WORK:?}/s3tls" --tls

# What every tool shares (tools/common): --help, -V/--version, whole long option names.
dm_cli_test(cli_conventions ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli-conventions.sh LABELS unit TIMEOUT 120)
# One --json for every tool and command (docs/json.md, docs/json.schema.json), errors included;
# dm-seed's -n; -q.  Needs the S3 server, the Kubernetes API (and its helm) and the gpu tests' fakes.
dm_cli_test(cli_json_envelope ${CMAKE_CURRENT_SOURCE_DIR}/cli/json-envelope.sh FIXTURES k8s s3 LABELS integration TIMEOUT 300)

# What every tool shares (tools/common): --help, -V/--version, whole long option names.
dm_cli_test(cli_conventions ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli-conventions.sh LABELS unit TIMEOUT 120)

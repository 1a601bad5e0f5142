#!/usr/bin/env bash
# Shows how the tools' last run differs from the bad-input matrix of docs/hardening.md.
#
# The rows of docs/hardening.md are written by hand: they say what the user should see.  Each
# matrix script checks every case against its expected text and that the doc holds the same
# rows (a difference fails the test).  This script is for review: it prints the difference
# between the doc and what the tools printed (message and exit code) in the last run of the
# matrix tests, which keep those rows in ${DM_TEST_WORK}/matrix/PREFIX.rows (L, R, K ...: every
# ID prefix of the doc, in the doc's order).  It never
# writes the doc: a row is changed by hand, when the behaviour it specifies is what a user
# should see.
#
# Usage: tests/cli/matrix-doc.sh TESTWORK     (e.g. build/testwork; run ctest -R '^matrix_' first)
# Exit 0 when the tools printed exactly what the doc says, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
doc=$here/docs/hardening.md
work=${1:?usage: matrix-doc.sh TESTWORK (e.g. build/testwork)}
prefixes=$(sed -n 's/^| \([A-Z]*\)[0-9][0-9]* |.*/\1/p' "$doc" | awk '!seen[$0]++')
for p in $prefixes; do
  [ -f "$work/matrix/$p.rows" ] || { echo "matrix-doc: no $work/matrix/$p.rows: run ctest -R '^matrix_' first" >&2; exit 1; }
done
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "| ID | tool | input | what the user sees (stderr; dm-gpu: its report) | exit |"
  echo "| --- | --- | --- | --- | --- |"
  for p in $prefixes; do sort -t'|' -k2,2V "$work/matrix/$p.rows"; done
} >"$tmp"
echo "< docs/hardening.md (the specification), > what the tools printed"
sed -n '/<!-- matrix rows: begin -->/,/<!-- matrix rows: end -->/p' "$doc" | sed '1d;$d' | diff - "$tmp" &&
  echo "the tools printed what docs/hardening.md says"

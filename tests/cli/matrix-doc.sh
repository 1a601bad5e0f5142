#!/usr/bin/env bash
# Rewrites the rows of the bad-input matrix in docs/hardening.md from what the matrix tests
# recorded in a build's test folder (they keep ${DM_TEST_WORK}/matrix/{L,R,K,D,H,A,B}.rows).
#
# Usage: tests/cli/matrix-doc.sh [--update] TESTWORK
#   without --update: shows the difference between the doc and the recorded rows (exit 1 if any)
#   --update: replaces the lines between "<!-- matrix rows: begin -->" and
#             "<!-- matrix rows: end -->" (and nothing else) with the table of recorded rows
# Run the matrix tests first: ctest -R '^matrix_' in the build folder.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
doc=$here/docs/hardening.md
update=0
[ "${1:-}" = --update ] && { update=1; shift; }
work=${1:?usage: matrix-doc.sh [--update] TESTWORK (e.g. build/testwork)}
for p in L R K D H A B; do
  [ -f "$work/matrix/$p.rows" ] || { echo "matrix-doc: no $work/matrix/$p.rows: run ctest -R '^matrix_' first" >&2; exit 1; }
done
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.new"' EXIT
{
  echo "| ID | tool | input | what the user sees (stderr; dm-gpu: its report) | exit |"
  echo "| --- | --- | --- | --- | --- |"
  for p in L R K D H A B; do sort -t'|' -k2,2V "$work/matrix/$p.rows"; done
} >"$tmp"
if [ "$update" = 0 ]; then
  sed -n '/<!-- matrix rows: begin -->/,/<!-- matrix rows: end -->/p' "$doc" | sed '1d;$d' | diff - "$tmp" && echo "docs/hardening.md matches"
  exit
fi
grep -q '<!-- matrix rows: begin -->' "$doc" && grep -q '<!-- matrix rows: end -->' "$doc" ||
  { echo "matrix-doc: no row markers in $doc" >&2; exit 1; }
awk -v rows="$tmp" '
  /<!-- matrix rows: end -->/ { skip = 0 }
  !skip { print }
  /<!-- matrix rows: begin -->/ { while ((getline line < rows) > 0) print line; skip = 1 }
' "$doc" >"$tmp.new"
cat "$tmp.new" >"$doc"
echo "matrix-doc: $(grep -c '^| [LRKDHAB][0-9]' "$tmp") rows written to docs/hardening.md"
